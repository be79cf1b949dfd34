/**
 * Listening addresses and their exposure tiers (SPEC §7):
 *   local   — 127.0.0.0/8, ::1, IPv4-mapped loopback, anything bound to the `lo` device;
 *   tailnet — 100.64.0.0/10, fd7a:115c:a1e0::/48, anything bound to a `tailscaleN` device;
 *   lan     — RFC 1918, 169.254.0.0/16, fc00::/7, fe80::/10;
 *   public  — everything else, including the wildcards 0.0.0.0, :: and `*` (dual-stack).
 * A device binding (SO_BINDTODEVICE, shown by ss as `addr%dev`) narrows a socket to one interface,
 * so it decides the tier for `lo` and Tailscale devices before the address does.
 */

export type Tier = 'local' | 'tailnet' | 'lan' | 'public';

export interface AddressClass {
  tier: Tier;
  /** Bound to every address of its family (0.0.0.0, ::, `*`), possibly narrowed by a device. */
  wildcard: boolean;
  /** Why this tier, in words (`loopback 127.0.0.0/8`, `wildcard: every interface`). */
  why: string;
}

export type Ip = { family: 4; v4: number } | { family: 6; groups: number[] };

/** Parses a dotted quad into an unsigned 32-bit number; undefined when it is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || !/^\d+$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Parses an IPv6 address (compressed, full, or with a trailing dotted quad) into 8 groups. */
export function parseIPv6(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tailV4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::", "a:b:c:d:e:f:1.2.3.4" leaves "a:…:f:"
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const want = tailV4 === undefined ? 8 : 6;
  const dbl = head.indexOf('::');
  if (dbl !== -1 && head.indexOf('::', dbl + 1) !== -1) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const g = parseGroups(head);
    if (!g || g.length !== want) return undefined;
    groups = g;
  } else {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right || left.length + right.length >= want) return undefined;
    groups = [...left, ...new Array<number>(want - left.length - right.length).fill(0), ...right];
  }
  if (tailV4 !== undefined) groups.push(Math.floor(tailV4 / 65536), tailV4 % 65536);
  return groups;
}

export function parseIp(text: string): Ip | undefined {
  if (text.includes(':')) {
    const groups = parseIPv6(text);
    return groups ? { family: 6, groups } : undefined;
  }
  const v4 = parseIPv4(text);
  return v4 === undefined ? undefined : { family: 4, v4 };
}

const inV4 = (n: number, base: string, bits: number): boolean => {
  const b = parseIPv4(base) as number;
  const size = 2 ** (32 - bits);
  return Math.floor(n / size) === Math.floor(b / size);
};

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one. */
export function unmapIPv4(groups: readonly number[]): number | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  return (groups[6] as number) * 65536 + (groups[7] as number);
}

function classifyV4(n: number): AddressClass {
  if (n === 0) return { tier: 'public', wildcard: true, why: 'wildcard 0.0.0.0: every IPv4 interface' };
  if (inV4(n, '127.0.0.0', 8)) return { tier: 'local', wildcard: false, why: 'loopback 127.0.0.0/8' };
  if (inV4(n, '100.64.0.0', 10)) return { tier: 'tailnet', wildcard: false, why: 'Tailscale range 100.64.0.0/10' };
  if (inV4(n, '10.0.0.0', 8)) return { tier: 'lan', wildcard: false, why: 'private range 10.0.0.0/8 (RFC 1918)' };
  if (inV4(n, '172.16.0.0', 12)) return { tier: 'lan', wildcard: false, why: 'private range 172.16.0.0/12 (RFC 1918)' };
  if (inV4(n, '192.168.0.0', 16)) return { tier: 'lan', wildcard: false, why: 'private range 192.168.0.0/16 (RFC 1918)' };
  if (inV4(n, '169.254.0.0', 16)) return { tier: 'lan', wildcard: false, why: 'link-local 169.254.0.0/16' };
  return { tier: 'public', wildcard: false, why: 'public IPv4 address' };
}

function classifyV6(g: readonly number[]): AddressClass {
  const mapped = unmapIPv4(g);
  if (mapped !== undefined) {
    const c = classifyV4(mapped);
    return { ...c, why: `IPv4-mapped ${c.why}` };
  }
  if (g.every((x) => x === 0)) return { tier: 'public', wildcard: true, why: 'wildcard [::]: every IPv6 interface' };
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return { tier: 'local', wildcard: false, why: 'loopback ::1' };
  const g0 = g[0] as number;
  if (g0 === 0xfd7a && g[1] === 0x115c && g[2] === 0xa1e0) return { tier: 'tailnet', wildcard: false, why: 'Tailscale range fd7a:115c:a1e0::/48' };
  if ((g0 & 0xfe00) === 0xfc00) return { tier: 'lan', wildcard: false, why: 'unique local fc00::/7' };
  if ((g0 & 0xffc0) === 0xfe80) return { tier: 'lan', wildcard: false, why: 'link-local fe80::/10' };
  return { tier: 'public', wildcard: false, why: 'public IPv6 address' };
}

const TAILSCALE_DEVICE = /^tailscale\d+$/;

/**
 * The tier of a listening address as ss prints it (`0.0.0.0`, `*`, `::`, `::ffff:127.0.0.1`), with
 * the device it is bound to, if any. Undefined when the address is not an IP address.
 */
export function classifyAddress(address: string, device: string | null): AddressClass | undefined {
  // A host has few addresses and a capture repeats them: classify each (address, device) once.
  const key = device === null ? address : `${address}%${device}`;
  let c = cache.get(key);
  if (c === undefined) {
    c = classifyUncached(address, device) ?? null;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, c);
  }
  return c ?? undefined;
}

const CACHE_MAX = 4096;
/** Results are shared between callers: they are never mutated. */
const cache = new Map<string, Readonly<AddressClass> | null>();

function classifyUncached(address: string, device: string | null): AddressClass | undefined {
  let base: AddressClass | undefined;
  if (address === '*') base = { tier: 'public', wildcard: true, why: 'wildcard *: every IPv4 and IPv6 interface (dual-stack)' };
  else {
    const ip = parseIp(address);
    if (!ip) return undefined;
    base = ip.family === 4 ? classifyV4(ip.v4) : classifyV6(ip.groups);
  }
  if (device === null) return base;
  if (device === 'lo') return { tier: 'local', wildcard: base.wildcard, why: 'bound to the loopback device lo' };
  if (TAILSCALE_DEVICE.test(device)) {
    // A device binding can only narrow: a loopback address stays local.
    return base.tier === 'local' ? base : { tier: 'tailnet', wildcard: base.wildcard, why: `bound to the Tailscale device ${device}` };
  }
  return { ...base, why: `${base.why}, bound to ${device}` };
}

/** Whether `text` is an IPv4 address inside Tailscale's 100.64.0.0/10. */
export function isTailnetIPv4(text: string): boolean {
  const n = parseIPv4(text);
  return n !== undefined && inV4(n, '100.64.0.0', 10);
}

/** `host:port` as ss prints it: IPv6 in brackets, the device after the address. */
export function formatEndpoint(address: string, port: number | '*', device: string | null = null): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}${device ? `%${device}` : ''}:${port}`;
}
