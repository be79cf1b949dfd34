import type { CheckDefinition } from '../check.js';
import { firstLine } from '../probe.js';

interface TailscaleStatus {
  BackendState?: string;
  TUN?: boolean;
  Self?: { DNSName?: string; TailscaleIPs?: string[]; HostName?: string };
}

export const tailscaleState: CheckDefinition = {
  id: 'tailscale',
  title: 'Tailscale is up with a kernel interface (the private network)',
  severity: 'medium',
  async run(ctx) {
    const r = await ctx.probe('tailscale', ['status', '--json']);
    if (r.error === 'not_found')
      return {
        status: 'warn',
        detail: 'Tailscale is not installed: there is no tailnet to move sshd and services onto',
        remediation: 'install Tailscale (https://tailscale.com/download) and run `sudo tailscale up`',
        evidence: { installed: false },
      };
    if (r.error === 'timeout') return { status: 'unknown', detail: 'tailscale status did not answer in time', evidence: { installed: true } };
    let s: TailscaleStatus | undefined;
    try {
      s = JSON.parse(r.stdout) as TailscaleStatus;
    } catch {
      s = undefined;
    }
    if (!s)
      return {
        status: 'warn',
        detail: `tailscale status failed: ${firstLine(r.stderr) || `exit ${r.code}`}`,
        remediation: 'start the daemon: `sudo systemctl enable --now tailscaled && sudo tailscale up`',
        evidence: { installed: true, exit: r.code },
      };
    const ips = s.Self?.TailscaleIPs ?? [];
    const evidence = { installed: true, backend_state: s.BackendState ?? null, tun: s.TUN ?? null, ips, name: s.Self?.DNSName ?? null };
    if (s.BackendState !== 'Running')
      return { status: 'warn', detail: `Tailscale is ${s.BackendState ?? 'in an unknown state'}, not Running`, remediation: 'sudo tailscale up', evidence };
    if (s.TUN === false)
      return {
        status: 'warn',
        detail: `userspace networking: ${ips.join(', ')} is not on a kernel interface, so services (and fix-ssh) cannot bind it`,
        remediation: 'run tailscaled with a TUN device (drop --tun=userspace-networking)',
        evidence,
      };
    return { status: 'pass', detail: `Running as ${s.Self?.DNSName?.replace(/\.$/, '') || s.Self?.HostName || 'this node'} with ${ips.join(', ')}`, evidence };
  },
};
