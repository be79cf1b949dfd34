import { OpenclawCommand } from '@openclaw/policy/cli';
import { streamPending, watchInteractively } from '../../watch/session.js';
import { clientFor, endpointFlags } from './_shared.js';

export default class ApprovalsWatch extends OpenclawCommand {
  static override summary = 'Answer pending requests as they arrive: allow once, allow always or deny (on a TTY)';
  static override description = [
    'On a terminal: shows each request (command, working directory, agent, what resolved, why it asks) and takes one key — o allow once, a allow always (adds the canonical paths to that agent’s allowlist; never shells or interpreters), d deny, s skip, q quit.',
    'Without a terminal (a pipe, a script): streams each new pending request once — one line, or one JSON token per line with --json — and answers nothing; use `approvals approve|deny ID`. Stops on Ctrl-C / SIGTERM.',
  ].join('\n\n');
  static override examples = ['<%= config.bin %> approvals watch', '<%= config.bin %> approvals watch --json | jq -r .id'];
  static override flags = { ...endpointFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ApprovalsWatch);
    const { client, location } = await clientFor(flags);
    await client.ping();
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const io = { input: process.stdin, output: process.stdout, note: (l: string) => this.note(l), colors: this.colors };
    const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true && !this.wantsJson;
    if (interactive) {
      this.note(`watching ${location.socketPath}`);
      await watchInteractively(client, io, controller.signal);
    } else {
      this.note(`watch: not a terminal — listing requests as they arrive (answer with \`openclaw approvals approve ID\`); Ctrl-C stops`);
      await streamPending(client, io, this.wantsJson, controller.signal);
    }
    process.exitCode = 0;
  }
}
