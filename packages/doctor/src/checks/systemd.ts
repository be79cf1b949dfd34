import type { CheckDefinition } from '../check.js';
import { firstLine } from '../probe.js';

export const systemdUserBus: CheckDefinition = {
  id: 'systemd.user-bus',
  title: 'the systemd user bus is reachable (for `openclaw exec start`)',
  severity: 'low',
  async run(ctx) {
    if (process.platform !== 'linux') return { status: 'skip', detail: `systemd is Linux-only (this is ${process.platform})` };
    const r = await ctx.probe('systemctl', ['--user', 'is-system-running']);
    const state = r.stdout.trim();
    const evidence = { state: state || null, exit: r.code, error: r.error ?? null, stderr: firstLine(r.stderr) || null };
    const fallback = '`openclaw exec start` falls back to a background worker with a pid file';
    if (r.error === 'not_found') return { status: 'warn', detail: `systemctl not found: ${fallback}`, remediation: null, evidence };
    if (r.error === 'timeout') return { status: 'unknown', detail: 'systemctl --user did not answer in time', evidence };
    if (state === 'running') return { status: 'pass', detail: 'user manager running', evidence };
    if (['degraded', 'starting', 'initializing'].includes(state))
      return { status: 'warn', detail: `user manager is ${state}`, remediation: 'systemctl --user --failed lists what failed', evidence };
    return {
      status: 'warn',
      detail: `no systemd user bus (${evidence.stderr ?? (state || `exit ${r.code}`)}): ${fallback}`,
      remediation: 'on a server, `sudo loginctl enable-linger $USER` gives you a user manager',
      evidence,
    };
  },
};
