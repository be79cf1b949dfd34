import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawError, usageError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';

const MAX_CAPTURE_BYTES = 64 * 1024 * 1024;

export default class Doctor extends OpenclawCommand {
  static override summary = 'Check this host and openclaw itself; exit 3 when a check fails, with the command that fixes it';
  static override description =
    'Runs every check at once with bounded probes: runtime, config, approvals (validity, permissions, what weakens the policy), state permissions, allowlists, sandbox, exec plane, model endpoint, systemd user bus, repository hooks, Tailscale, sshd (sshd -T), firewall and the tailnet-aware port audit. What could not be checked is reported as unknown, never as passed.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --only ports.public,sshd --json',
    'sudo ss -tlnp > listeners.txt && <%= config.bin %> doctor --only ports --ss-output listeners.txt',
    '<%= config.bin %> doctor --fix',
  ];
  static override flags = {
    only: Flags.string({ description: 'Run only these checks: ids or areas, comma-separated (e.g. ports.public,sshd).', helpValue: 'ID,…' }),
    fix: Flags.boolean({
      description: 'Apply safe fixes: tighten permissions of $OPENCLAW_HOME, state and approvals files (never reads or changes contents).',
    }),
    'ss-output': Flags.string({
      description: 'Audit a saved capture of `ss -tlnp`, `netstat -tlnp` or `lsof -nP -iTCP -sTCP:LISTEN` (format detected; `-` reads stdin).',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const ssOutput = flags['ss-output'] === undefined ? undefined : readCapture(flags['ss-output']);
    const { renderReport, runDoctor } = await import('../index.js');
    const report = await runDoctor({
      ...(flags.only !== undefined ? { only: flags.only.split(',') } : {}),
      fix: flags.fix,
      ...(ssOutput ? { ssOutput } : {}),
    });
    this.output(report, () => renderReport(report, this.colors, process.stdout.columns || 120), report.exit_code);
  }
}

function readCapture(file: string): { text: string; source: string } {
  if (file === '-') return { text: readFileSync(0, 'utf8'), source: 'stdin' };
  const path = resolve(file);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw usageError(
      `--ss-output ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code}`,
      'capture one with `sudo ss -tlnp > FILE`',
    );
  }
  if (size > MAX_CAPTURE_BYTES)
    throw new OpenclawError({ code: 'capture_too_large', reason: `--ss-output ${file} is larger than 64 MiB`, hint: 'capture only listeners: ss -tlnp' });
  return { text: readFileSync(path, 'utf8'), source: file };
}
