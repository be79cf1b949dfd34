/** The human account of a fix-ssh run: each step, the diffs, the outcome, and diagnostics on failure. */
import type { Paint } from '@openclaw/doctor';
import type { FixSshResult, StepStatus } from './fix.js';

const MARK: Record<StepStatus, string> = { ok: 'ok', skipped: 'skip', failed: 'FAILED', planned: 'plan', not_run: '-' };

export function renderFixSsh(r: FixSshResult, paint: Paint): string {
  const out: string[] = [];
  const where = r.test_root ? ` (test root ${r.test_root})` : '';
  out.push(paint.bold(`openclaw fix-ssh${r.dry_run ? ' --dry-run' : ''}: lock sshd to ${r.ip ?? 'the Tailscale address'}${where}`));
  const width = Math.max(...r.steps.map((s) => s.id.length));
  for (const s of r.steps) {
    if (s.status === 'not_run') continue;
    const mark =
      s.status === 'failed'
        ? paint.red(MARK[s.status].padEnd(6))
        : s.status === 'ok'
          ? paint.green(MARK[s.status].padEnd(6))
          : paint.dim(MARK[s.status].padEnd(6));
    out.push(`  ${mark} ${s.id.padEnd(width)}  ${s.detail}`);
  }
  if (r.dry_run) {
    if (r.diffs.length) out.push('', ...r.diffs.map((d) => d.diff.trimEnd()));
    if (r.systemctl.length) out.push('', 'would run:', ...r.systemctl.map((c) => `  ${c}`));
    out.push('', r.ok ? 'dry run: nothing was changed' : paint.red(`dry run stopped: ${r.error?.reason}`));
    if (!r.ok && r.error?.hint) out.push(`hint: ${r.error.hint}`);
    return out.join('\n');
  }
  if (r.ok) {
    out.push('', paint.green(`sshd now listens only on ${r.ip} — changed: ${r.changed_files.join(', ')}`));
    if (r.backup_dir) out.push(`originals backed up in ${r.backup_dir}`);
    return out.join('\n');
  }
  out.push('', paint.red(`error: ${r.error?.reason}`));
  if (r.error?.hint) out.push(`hint: ${r.error.hint}`);
  if (r.rolled_back)
    out.push(
      r.rollback_problems.length
        ? paint.red(`rollback incomplete — undo these by hand:\n${r.rollback_problems.map((p) => `  ${p}`).join('\n')}`)
        : `rolled back: every change was undone (${r.diffs.length} file${r.diffs.length === 1 ? '' : 's'} put back as ${r.diffs.length === 1 ? 'it was' : 'they were'}${r.rollback_systemctl.length ? `; ${r.rollback_systemctl.join(', ')}` : ''})`,
    );
  else out.push('nothing was changed');
  if (r.diagnostics) {
    out.push('', 'diagnostics (at the failure):', '  sshd -T:', ...r.diagnostics.sshd_T.split('\n').map((l) => `    ${l}`));
    out.push('  service:', ...r.diagnostics.service_status.split('\n').map((l) => `    ${l}`));
    out.push('  config lines:', ...r.diagnostics.config_lines.map((l) => `    ${l}`));
  }
  return out.join('\n');
}
