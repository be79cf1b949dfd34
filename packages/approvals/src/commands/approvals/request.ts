import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { ExitCode, type Reason, usageError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import type { ExecAsk } from '../../client/client.js';
import { clientFor, endpointFlags } from './_shared.js';

const EXIT = { allow: ExitCode.ok, deny: ExitCode.denied, timeout: ExitCode.timedOut, pending_hitl: ExitCode.askHuman } as const;

export default class ApprovalsRequest extends OpenclawCommand {
  static override summary = 'Ask the approvals endpoint whether a command may run, waiting for a human if needed';
  static override description = [
    'For scripts: exit 0 allowed (an approval is consumed: it allows this one run), 77 denied (with the reason), 124 nobody answered within --timeout, 4 pending (with --no-wait), 1 the endpoint is unreachable. Nothing is executed.',
    'While waiting, stderr says how to answer: `openclaw approvals watch`, or `openclaw approvals approve ID`.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> approvals request -- rm -rf /tmp/x',
    "<%= config.bin %> approvals request --agent main --session s1 --timeout 60 --command 'git push origin main'",
    '<%= config.bin %> approvals request --json --no-wait -- make deploy',
  ];
  static override strict = false;
  static override flags = {
    ...endpointFlags,
    command: Flags.string({ char: 'c', description: 'The command as one shell-like string (analysed by the grammar).', helpValue: 'STRING' }),
    agent: Flags.string({ description: 'Agent id the request is for.', helpValue: 'ID' }),
    cwd: Flags.string({ description: 'Working directory the command would run in (default: the current one).', helpValue: 'DIR' }),
    host: Flags.option({ options: ['sandbox', 'gateway', 'node'] as const, description: 'Where the command would run.' })(),
    session: Flags.string({ description: 'Session id the approval is bound to.', helpValue: 'ID' }),
    sandbox: Flags.string({ description: 'Sandbox id the approval is bound to.', helpValue: 'ID' }),
    env: Flags.string({ description: 'KEY=VALUE the command would get (repeatable).', multiple: true, helpValue: 'KEY=VALUE' }),
    timeout: Flags.integer({ description: 'Seconds to wait for a human.', min: 1, max: 86_400, default: 300 }),
    wait: Flags.boolean({ description: 'Wait for a human when one must decide (--no-wait: exit 4 with the token).', default: true, allowNo: true }),
  };
  static override usage = ['approvals request [FLAGS] (--command STRING | -- ARGV...)'];

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(ApprovalsRequest);
    const rawArgv = argv as string[];
    if (flags.command !== undefined && rawArgv.length > 0) throw usageError('give either --command or an argv after `--`, not both');
    if (flags.command === undefined && rawArgv.length === 0)
      throw usageError('no command to ask about', 'openclaw approvals request -- rm -rf /tmp/x   or   openclaw approvals request --command "rm -rf /tmp/x"');
    if (rawArgv.length > 0 && !this.argv.includes('--'))
      throw usageError('put the command after `--` so its options are not read as openclaw flags', `openclaw approvals request -- ${rawArgv.join(' ')}`);
    const env: Record<string, string> = {};
    for (const kv of flags.env ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usageError(`--env ${kv}: expected KEY=VALUE`);
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const ask: ExecAsk = {
      ...(flags.command !== undefined ? { command: flags.command } : { argv: rawArgv }),
      cwd: resolve(flags.cwd ?? process.cwd()),
      agentId: flags.agent ?? null,
      sessionId: flags.session ?? null,
      sandboxId: flags.sandbox ?? null,
      ...(flags.host ? { host: flags.host } : {}),
      ...(flags.env ? { env } : {}),
    };
    const { client } = await clientFor(flags);
    const first = await client.request(ask);
    if (first.decision !== 'pending_hitl' || !first.token || !flags.wait) {
      this.finish(first.decision, first.reasons, first.token);
      return;
    }
    const token = first.token;
    this.note(`waiting for a human to approve (id ${token}, up to ${flags.timeout} s):`);
    this.note(`  openclaw approvals watch      or      openclaw approvals approve ${token}`);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const last = await client.waitForDecision(token, { timeoutMs: flags.timeout * 1000, signal: controller.signal, request: ask });
      this.finish(last.decision, last.reasons, token);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  private finish(decision: keyof typeof EXIT, reasons: Reason[], token: string | undefined): void {
    const c = this.colors;
    this.output(
      { decision, reasons, ...(token ? { token } : {}) },
      () => {
        const head =
          decision === 'allow'
            ? c.green.bold('ALLOW')
            : decision === 'deny'
              ? c.red.bold('DENY')
              : decision === 'timeout'
                ? c.yellow.bold('TIMEOUT')
                : c.yellow.bold(`PENDING ${token}`);
        const lines = [head];
        for (const r of reasons) {
          lines.push(`  ${c.dim('·')} ${r.message}`);
          if (r.hint && decision !== 'allow') lines.push(`    ${c.dim('hint:')} ${r.hint}`);
        }
        return lines.join('\n');
      },
      EXIT[decision],
    );
  }
}
