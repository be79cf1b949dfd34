import { type ApprovalsFile, OpenclawError, readApprovalsFile } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { locateApprovals } from '../../file/locate.js';
import { redactApprovals } from '../../file/write.js';
import { fileFlags } from './_shared.js';

export default class ApprovalsGet extends OpenclawCommand {
  static override summary = 'Show the approvals file (the socket token is never printed)';
  static override description =
    'With --json, prints the file itself as OpenClaw reads it back (every field kept, socket.token left out), so it can be edited and fed to `approvals set`. A missing file prints the defaults ({"version": 1}); an invalid file is an error (exit 1) and every decision denies until it is fixed.';
  static override examples = ['<%= config.bin %> approvals get', '<%= config.bin %> approvals get --json > approvals.json'];
  static override flags = { ...fileFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ApprovalsGet);
    const { approvalsPath } = await locateApprovals({ configFile: flags.config, approvalsFile: flags.approvals });
    const snap = await readApprovalsFile(approvalsPath);
    if (snap.status === 'invalid') throw new OpenclawError({ ...snap.error, exitCode: 1 });
    if (snap.status === 'missing') this.note(`no approvals file at ${approvalsPath}: the defaults apply`);
    const file: ApprovalsFile = snap.status === 'ok' ? redactApprovals(snap.file) : { version: 1 };
    const hasToken = snap.status === 'ok' && typeof snap.file.socket?.token === 'string';
    this.output(file, () => this.render(approvalsPath, snap.status, file, hasToken));
  }

  private render(path: string, status: string, file: ApprovalsFile, hasToken: boolean): string {
    const c = this.colors;
    const modes = (m: { security?: string | undefined; ask?: string | undefined; askFallback?: string | undefined } | undefined) =>
      ['security', 'ask', 'askFallback']
        .filter((k) => m?.[k as keyof typeof m] !== undefined)
        .map((k) => `${k}=${m?.[k as keyof typeof m]}`)
        .join(' ') || c.dim('(no limits)');
    const lines = [`approvals file ${path} ${c.dim(`(${status})`)}`];
    lines.push(
      `socket    ${file.socket?.path ?? c.dim('(default path)')}, token ${hasToken ? 'set (hidden)' : c.dim('not set: `approvals serve` creates it')}`,
    );
    lines.push(`defaults  ${modes(file.defaults)}`);
    for (const [agent, a] of Object.entries(file.agents ?? {})) {
      lines.push(`agent ${c.bold(agent)}  ${modes(a)}`);
      for (const e of a.allowlist ?? []) {
        const extra = [
          (e as Record<string, unknown>).source ? `source ${(e as Record<string, unknown>).source}` : '',
          e.lastUsedAt ? `last used ${new Date(e.lastUsedAt).toISOString()}` : '',
          e.lastUsedCommand ? `\`${e.lastUsedCommand}\`` : '',
        ].filter(Boolean);
        lines.push(`  ${e.pattern}${extra.length ? c.dim(`  ${extra.join(' · ')}`) : ''}`);
      }
      if (!a.allowlist?.length) lines.push(c.dim('  (empty allowlist)'));
    }
    return lines.join('\n');
  }
}
