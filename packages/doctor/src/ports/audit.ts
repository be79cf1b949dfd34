/**
 * The port audit (SPEC §7, check `ports.public`): every TCP listener gets a tier and a verdict.
 *   local, tailnet            → ok (whoever owns it)
 *   tailscaled, any address   → ok (it needs the wildcard for its own transport)
 *   lan                       → warn
 *   public or wildcard        → violation
 * A verdict that depends on the owner is `unknown` when the capture does not show the owner (ss or
 * netstat not run as root) or shows a name cut short that could be `tailscaled`. sshd — or systemd
 * holding port 22 for socket activation — on a public address sets `sshd_public`.
 */
import { classifyAddress, formatEndpoint, type Tier } from './address.js';
import type { Capture, CaptureFormat, Listener, ProcessRef } from './parse.js';

export type Verdict = 'ok' | 'warn' | 'violation' | 'unknown';

export interface AuditedListener {
  address: string;
  port: number;
  /** Process names, comma-separated; null when the capture does not show them. */
  process: string | null;
  tier: Tier;
  verdict: Verdict;
  /** As ss prints it: `0.0.0.0:22`, `[::]:22`, `0.0.0.0%tailscale0:8443`. */
  endpoint: string;
  device: string | null;
  pids: number[];
  sshd: boolean;
  /** Why this tier and verdict. */
  why: string;
  format: CaptureFormat;
}

export interface PortAudit {
  status: 'pass' | 'warn' | 'fail' | 'unknown';
  listeners: AuditedListener[];
  sshd_public: boolean;
  counts: Record<Verdict, number>;
  /** What the capture could not show. */
  notes: string[];
  skipped: Capture['skipped'];
  formats: CaptureFormat[];
}

const SSHD_PORT = 22;

function names(processes: ProcessRef[] | null): string[] {
  if (!processes) return [];
  if (processes.length === 1) return [(processes[0] as ProcessRef).name];
  return [...new Set(processes.map((p) => p.name))];
}

function pidsOf(processes: ProcessRef[] | null): number[] {
  if (!processes) return [];
  if (processes.length === 1) return processes[0]?.pid == null ? [] : [processes[0].pid];
  return [...new Set(processes.map((p) => p.pid).filter((p): p is number => p !== null))];
}

function isSshd(l: Listener, n: string[]): boolean {
  // ssh.socket: systemd accepts on :22 and starts sshd per connection.
  return n.includes('sshd') || (n.includes('systemd') && l.port === SSHD_PORT);
}

export function auditListener(l: Listener): AuditedListener {
  const cls = classifyAddress(l.address, l.device);
  // The parsers only accept addresses classifyAddress understands.
  if (!cls) throw new Error(`unclassifiable address ${l.address}`);
  const n = names(l.processes);
  const sshd = isSshd(l, n);
  let verdict: Verdict;
  let why = cls.why;
  if (cls.tier === 'local' || cls.tier === 'tailnet') verdict = 'ok';
  else if (l.processes === null) {
    verdict = 'unknown';
    why += '; the owner is not shown (ss and netstat show it only to root), so tailscaled cannot be ruled out';
  } else if (n.length > 0 && n.every((x) => x === 'tailscaled')) {
    verdict = 'ok';
    why += '; tailscaled is allowed on any address';
  } else if (l.namesTruncated && n.some((x) => x !== 'tailscaled' && 'tailscaled'.startsWith(x))) {
    verdict = 'unknown';
    why += `; the name ${n.join(',')} was cut short by ${l.format} and may be tailscaled or another program (capture with ss -tlnp or lsof +c 0)`;
  } else verdict = cls.tier === 'lan' ? 'warn' : 'violation';
  if (l.addressTruncated) why += `; the address was cut short by ${l.format}`;
  if (cls.wildcard && l.device === null && l.format !== 'ss')
    why += `; ${l.format} does not show device bindings, so this may be narrowed to one interface (ss would show 0.0.0.0%dev)`;
  if (sshd && n.includes('systemd') && !n.includes('sshd')) why += '; systemd socket activation of sshd (ssh.socket)';
  return {
    address: l.device ? `${l.address}%${l.device}` : l.address,
    port: l.port,
    process: l.processes ? (n.length === 1 ? (n[0] as string) : n.join(',')) : null,
    tier: cls.tier,
    verdict,
    endpoint: formatEndpoint(l.address, l.port, l.device),
    device: l.device,
    pids: pidsOf(l.processes),
    sshd,
    why,
    format: l.format,
  };
}

export function auditCapture(capture: Capture): PortAudit {
  const listeners = capture.listeners.map(auditListener);
  const counts: Record<Verdict, number> = { ok: 0, warn: 0, violation: 0, unknown: 0 };
  for (const l of listeners) counts[l.verdict]++;
  const ownersMissing = capture.listeners.some((l) => l.processes === null);
  const notes = [...capture.notes];
  if (ownersMissing) notes.push('the capture does not show which process owns some sockets (ss and netstat show them only to root)');
  const status = counts.violation > 0 ? 'fail' : counts.warn > 0 ? 'warn' : counts.unknown > 0 || ownersMissing ? 'unknown' : 'pass';
  return {
    status,
    listeners,
    sshd_public: listeners.some((l) => l.sshd && l.tier === 'public'),
    counts,
    notes,
    skipped: capture.skipped,
    formats: capture.formats,
  };
}

const list = (ls: AuditedListener[], max = 4): string => {
  const byProcess = new Map<string, string[]>();
  for (const l of ls) {
    const key = l.process ?? 'owner not shown';
    byProcess.set(key, [...(byProcess.get(key) ?? []), l.endpoint]);
  }
  const parts = [...byProcess].map(([p, eps]) => `${p} on ${eps.join(', ')}`);
  return parts.length > max ? `${parts.slice(0, max).join('; ')}; and ${parts.length - max} more` : parts.join('; ');
};

/** One or two sentences for the report: what is exposed, what could not be told. */
export function describeAudit(a: PortAudit, opts: { asRoot?: boolean; live?: boolean } = {}): { detail: string; remediation: string | null } {
  const by = (v: Verdict) => a.listeners.filter((l) => l.verdict === v);
  const parts: string[] = [];
  const violations = by('violation');
  const warns = by('warn');
  const unknown = by('unknown');
  if (violations.length) parts.push(`${violations.length} public: ${list(violations)}`);
  if (warns.length) parts.push(`${warns.length} on the LAN: ${list(warns)}`);
  if (unknown.length) parts.push(`${unknown.length} undetermined: ${list(unknown)}`);
  const okCount = a.counts.ok;
  if (!parts.length) {
    parts.push(
      a.listeners.length === 0 ? 'no TCP listeners' : `${a.listeners.length} listener${a.listeners.length === 1 ? '' : 's'}, all on loopback or the tailnet`,
    );
  } else if (okCount) parts.push(`${okCount} ok`);
  const remedies: string[] = [];
  if (a.sshd_public) remedies.push('sshd is public: `openclaw fix-ssh --dry-run`, then `sudo openclaw fix-ssh` locks it to the Tailscale address');
  if (violations.some((l) => !l.sshd) || warns.length)
    remedies.push('bind the other services to 127.0.0.1 or the Tailscale address (100.x), or block them in the firewall');
  if (unknown.some((l) => l.process === null) || (a.status === 'unknown' && a.notes.length)) {
    remedies.push(
      opts.asRoot && opts.live
        ? 'ss shows no owner even to root (a process in another namespace or container holds the socket): find it by inode with `ss -tlnpe`'
        : 'run as root so ss shows who owns each socket: `sudo openclaw doctor --only ports.public`',
    );
  } else if (unknown.length) remedies.push('capture with `ss -tlnp` (full process names) and pass it with --ss-output');
  return { detail: parts.join('; '), remediation: remedies.length ? remedies.join('; ') : null };
}
