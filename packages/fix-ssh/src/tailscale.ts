/**
 * The address sshd is locked to: this node's Tailscale IPv4 (`tailscale ip -4`, or `--ip`). Refused:
 * anything outside 100.64.0.0/10, Tailscale not running, userspace networking, and an address no
 * interface carries — sshd could not bind it and would lock everyone out.
 */
import { isTailnetIPv4, parseIPv4 } from '@openclaw/doctor';
import { describeFailure, type Helpers } from './helpers.js';

export class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(reason);
  }
}

export function validateTailnetAddress(ip: string, from: string): void {
  if (parseIPv4(ip) === undefined)
    throw new Refusal(`${from} gave ${JSON.stringify(ip)}, which is not an IPv4 address`, 'pass the Tailscale IPv4 address: --ip 100.x.y.z');
  if (!isTailnetIPv4(ip))
    throw new Refusal(
      `${ip} (${from}) is outside Tailscale's 100.64.0.0/10: refusing to lock sshd to it`,
      'use the address `tailscale ip -4` prints on this host',
    );
}

export async function detectAddress(helpers: Helpers, given: string | undefined): Promise<{ ip: string; from: string }> {
  if (given !== undefined) {
    validateTailnetAddress(given, '--ip');
    return { ip: given, from: '--ip' };
  }
  const r = await helpers.run('tailscale', ['ip', '-4'], 10_000);
  if (r.error === 'not_found')
    throw new Refusal('tailscale is not installed and no --ip was given', 'install Tailscale and run `tailscale up`, or pass --ip 100.x.y.z');
  if (!r.ok) throw new Refusal(describeFailure('tailscale', ['ip', '-4'], r), 'is tailscaled running and logged in? `sudo tailscale up`');
  const ip = r.stdout.split('\n')[0]?.trim() ?? '';
  validateTailnetAddress(ip, '`tailscale ip -4`');
  return { ip, from: '`tailscale ip -4`' };
}

interface Status {
  BackendState?: string;
  TUN?: boolean;
  Self?: { TailscaleIPs?: string[] };
}

/** Checks the address is live on a kernel interface; returns which one. */
export async function checkInterface(helpers: Helpers, ip: string): Promise<{ device: string; notes: string[] }> {
  const notes: string[] = [];
  const st = await helpers.run('tailscale', ['status', '--json'], 10_000);
  if (st.error !== 'not_found') {
    let s: Status | undefined;
    try {
      s = JSON.parse(st.stdout) as Status;
    } catch {
      s = undefined;
    }
    if (!s) throw new Refusal(describeFailure('tailscale', ['status', '--json'], st), 'start Tailscale: `sudo tailscale up`');
    if (s.BackendState !== 'Running')
      throw new Refusal(`Tailscale is ${s.BackendState ?? 'not running'}: sshd would not be reachable on ${ip}`, 'sudo tailscale up');
    if (s.TUN === false)
      throw new Refusal(
        'tailscaled runs with userspace networking: no interface carries the tailnet address, so sshd cannot listen on it',
        'run tailscaled with a TUN device (remove --tun=userspace-networking), then retry',
      );
    if (s.Self?.TailscaleIPs && !s.Self.TailscaleIPs.includes(ip))
      throw new Refusal(`${ip} is not this node's Tailscale address (${s.Self.TailscaleIPs.join(', ')})`, 'drop --ip to use the detected address');
  } else notes.push('tailscale CLI not installed: the address was checked against the interfaces only');
  const r = await helpers.run('ip', ['-o', '-4', 'addr', 'show']);
  if (!r.ok) throw new Refusal(describeFailure('ip', ['-o', '-4', 'addr', 'show'], r), 'install iproute2');
  for (const line of r.stdout.split('\n')) {
    const m = line.match(/^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//);
    if (m && m[2] === ip) {
      const device = (m[1] as string).replace(/@.*$/, '');
      if (!/^tailscale\d+$/.test(device)) notes.push(`${ip} is on ${device}, not tailscale0`);
      return { device, notes };
    }
  }
  throw new Refusal(
    `no interface carries ${ip} (Tailscale down, or userspace networking): sshd could not listen on it`,
    'check `ip -4 addr show tailscale0`; run `sudo tailscale up`',
  );
}
