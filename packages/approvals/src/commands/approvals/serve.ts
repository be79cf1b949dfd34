import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import type { ApprovalEvent } from '../../endpoint/actions.js';
import { startApprovalsServer } from '../../endpoint/serve.js';
import type { EndpointEvent } from '../../endpoint/server.js';
import { DEFAULT_TTLS } from '../../tokens/machine.js';
import { shortCommand } from '../../watch/render.js';
import { endpointFlags } from './_shared.js';

export default class ApprovalsServe extends OpenclawCommand {
  static override summary = 'Run the approvals endpoint: agents ask here, humans answer with watch/approve/deny';
  static override description = [
    'Listens on a Unix socket (directory 0700, socket 0600) until interrupted. Only processes of the same user are answered (checked with SO_PEERCRED before anything is read); every request must be signed with the socket token of the approvals file (created when missing), fresh (10 s) and never replayed. Requests the policy allows or denies are answered at once; asks wait for a human as tokens that expire.',
    'The log goes to stderr; with --json, one JSON event per line on stdout. Tokens live in memory unless --token-store (or approvals.tokenStore in openclaw.yaml) says sqlite or a file: then they survive a restart.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> approvals serve',
    '<%= config.bin %> approvals serve --socket /run/user/1000/openclaw.sock --token-store sqlite',
  ];
  static override flags = {
    ...endpointFlags,
    'token-store': Flags.string({
      description: 'Where tokens live: memory (default), sqlite ($OPENCLAW_HOME/state/approvals.db) or a SQLite file.',
      helpValue: 'memory|sqlite|FILE',
    }),
    'pending-ttl': Flags.integer({ description: 'Seconds a human has to answer a request.', min: 1, max: 86_400, default: DEFAULT_TTLS.pendingMs / 1000 }),
    'approved-ttl': Flags.integer({ description: 'Seconds an approval waits for its one use.', min: 1, max: 3_600, default: DEFAULT_TTLS.approvedMs / 1000 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ApprovalsServe);
    const json = this.wantsJson;
    const log = (e: ApprovalEvent | EndpointEvent) => {
      if (json) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`);
      else this.note(`${new Date().toISOString().slice(11, 19)} ${describe(e)}`);
    };
    // Handlers first: a stop signal that arrives as soon as "serving on" is printed (or during the start)
    // must still close the endpoint and remove its socket, not kill the process with the default action.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.once('SIGHUP', stop);
    });
    const server = await startApprovalsServer({
      configFile: flags.config,
      approvalsFile: flags.approvals,
      socket: flags.socket,
      tokenStore: flags['token-store'],
      ttls: { pendingMs: flags['pending-ttl'] * 1000, approvedMs: flags['approved-ttl'] * 1000 },
      onEvent: log,
    });
    const store = server.tokenStore === 'memory' ? 'memory (lost on restart)' : `sqlite ${server.tokenStore.sqlite}`;
    if (json)
      process.stdout.write(
        `${JSON.stringify({ at: new Date().toISOString(), event: 'listening', socket: server.socketPath, approvals: server.approvalsPath, tokenStore: server.tokenStore })}\n`,
      );
    else {
      this.note(`approvals: serving on ${server.socketPath} (same-user peers only, signed requests; tokens: ${store})`);
      if (server.tokenCreated) this.note(`approvals: generated a socket token in ${server.approvalsPath}`);
      this.note('approvals: answer requests with `openclaw approvals watch`, or `openclaw approvals pending` and `approve ID` / `deny ID`');
    }
    await stopped;
    await server.close();
    const s = server.stats;
    if (json) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), event: 'stopped', stats: s })}\n`);
    else
      this.note(
        `approvals: stopped (${s.answered} answered, ${s.refusedPeer} foreign peers and ${s.frameHmacInvalid + s.frameExpired + s.frameReplayed + s.frameMalformed + s.frameTooLarge + s.frameTimeout} bad frames refused)`,
      );
    process.exitCode = 0;
  }
}

function describe(e: ApprovalEvent | EndpointEvent): string {
  switch (e.event) {
    case 'pending':
      return `pending   ${e.token.id}  agent=${e.token.binding.agentId ?? '-'}  ${shortCommand(e.token)}  (cwd ${e.token.request.cwd})`;
    case 'approved':
      return `approved  ${e.token.id}  allow-${e.token.resolution?.scope ?? 'once'}${e.allowlisted.length ? `; allowlisted ${e.allowlisted.join(', ')}` : ''}${e.warnings.map((w) => `\n          warning: ${w}`).join('')}`;
    case 'consumed':
      return `used      ${e.token.id}`;
    case 'denied':
    case 'revoked':
    case 'expired':
      return `${e.event.padEnd(9)} ${e.token.id}${e.token.resolution?.reason ? `: ${e.token.resolution.reason}` : ''}`;
    case 'refused_peer':
      return `refused   a connection from uid ${e.uid} (pid ${e.pid}): not this user`;
    case 'refused_frame':
      return `refused   a frame from pid ${e.pid}: ${e.code}`;
    case 'internal_error':
      return `error     ${e.message}`;
  }
}
