/**
 * Parsers for listener captures: `ss -tlnp` in all its forms (with or without the header, `-H`, the
 * Netid column of `-tulpn`, `%dev` inside or outside brackets, `*:P`, `[::]:P`, IPv4-mapped,
 * several processes per socket, extra columns of `-e`), `netstat -tlnp[W]` and
 * `lsof -nP -iTCP -sTCP:LISTEN`. The format is detected from the text (a header line switches it),
 * never flagged. Anything that is none of these is an error naming the line.
 *
 * What each tool cannot show is recorded on the listener, so the audit can say what it cannot tell:
 * no process column (not root), names cut short (lsof's 9-character COMMAND, netstat's 19-character
 * PID/Program), addresses cut short (netstat without -W), and device bindings netstat and lsof omit.
 */
import { classifyAddress, parseIp } from './address.js';

export type CaptureFormat = 'ss' | 'netstat' | 'lsof';

export interface ProcessRef {
  name: string;
  pid: number | null;
}

export interface Listener {
  proto: 'tcp';
  /** The address without brackets or device: `0.0.0.0`, `::`, `*`, `::ffff:127.0.0.1`. */
  address: string;
  /** The device the socket is bound to (`%dev`), when the tool shows one. */
  device: string | null;
  port: number;
  /** Who holds the socket; null when the capture does not say (ss/netstat not run as root). */
  processes: ProcessRef[] | null;
  /** The tool shortens names: a name may be the start of a longer one. */
  namesTruncated: boolean;
  /** netstat without -W cuts long IPv6 addresses; the tier is judged from what is left. */
  addressTruncated: boolean;
  format: CaptureFormat;
  /** 1-based line in the capture. */
  line: number;
}

export interface Capture {
  /** The formats seen, in order (a file may hold several captures). */
  formats: CaptureFormat[];
  listeners: Listener[];
  /** Rows that are not TCP listeners (UDP sockets, connections), counted, not audited. */
  skipped: { udp: number; notListening: number; other: number };
  /** What the capture cannot show, in words. */
  notes: string[];
}

export class CaptureParseError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly text: string,
  ) {
    super(`line ${line}: ${reason}${text ? `: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}` : ''}`);
    this.name = 'CaptureParseError';
  }
}

const SS_STATES = new Set([
  'LISTEN',
  'UNCONN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'CLOSE',
  'CLOSE-WAIT',
  'LAST-ACK',
  'CLOSING',
  'UNKNOWN',
]);
const SS_NETIDS = new Set(['tcp', 'udp', 'raw', 'sctp', 'mptcp', 'dccp', 'u_str', 'u_dgr', 'u_seq', 'nl', 'p_raw', 'p_dgr', 'v_str', 'v_dgr', 'xdp', 'tipc']);
const NETSTAT_PROTOS = new Set(['tcp', 'tcp6', 'udp', 'udp6', 'udpl', 'udpl6', 'raw', 'raw6', 'sctp', 'sctp6']);
const NUMBER = /^\d+$/;
/** net-tools prints `PID/Program name` in 19 characters. */
const NETSTAT_PROGRAM_WIDTH = 19;
/** lsof prints COMMAND in 9 characters unless run with `+c`. */
const LSOF_COMMAND_WIDTH = 9;
/** netstat without -W prints `address:port` in 23 characters, cutting the address. */
const NETSTAT_ADDRESS_WIDTH = 23;
const MAX_LINE = 65_536;

interface Endpoint {
  address: string;
  device: string | null;
  port: number;
}

/** Parses `host:port` as ss, netstat or lsof print it; undefined when it is not one. */
export function parseEndpoint(text: string, truncatable = false): (Endpoint & { truncated: boolean }) | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const digits = text.length - colon - 1;
  if (digits < 1 || digits > 5) return undefined;
  let port = 0;
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    port = port * 10 + (c - 48);
  }
  if (port > 65_535) return undefined;
  let host = text.slice(0, colon);
  let device: string | null = null;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) return undefined;
    const after = host.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith('%') || after.length < 2) return undefined;
      device = after.slice(1);
    }
    host = host.slice(1, close);
  }
  const pct = host.indexOf('%');
  if (pct !== -1) {
    if (device !== null || pct === host.length - 1) return undefined;
    device = host.slice(pct + 1);
    host = host.slice(0, pct);
  }
  if (host === '*') return { address: '*', device, port, truncated: false };
  if (classifyAddress(host, null)) {
    const truncated = truncatable && host.includes(':') && text.length >= NETSTAT_ADDRESS_WIDTH;
    return { address: host, device, port, truncated };
  }
  if (truncatable && host.includes(':') && text.length >= NETSTAT_ADDRESS_WIDTH) {
    const repaired = repairTruncatedIPv6(host);
    if (repaired) return { address: repaired, device, port, truncated: true };
  }
  return undefined;
}

/**
 * netstat cuts an IPv6 address that does not fit its column. The leading groups survive (at least
 * 15 characters, enough for every range the tiers use); the cut group is dropped and the rest
 * taken as zeros, so the tier is judged from the prefix.
 */
function repairTruncatedIPv6(host: string): string | undefined {
  let h = host.slice(0, host.lastIndexOf(':') + 1);
  if (!h.includes('::')) h = `${h}:`;
  else if (h.endsWith(':') && !h.endsWith('::')) h = h.slice(0, -1);
  return parseIp(h) ? h : undefined;
}

/** `users:(("name",pid=N,fd=N),…)` from `from` on; names may hold spaces, commas and quotes. */
function parseSsProcesses(line: string, from: number): ProcessRef[] | undefined {
  const out: ProcessRef[] = [];
  let i = from;
  for (;;) {
    const open = line.indexOf('("', i);
    if (open === -1) break;
    const close = line.indexOf('",pid=', open + 2);
    if (close === -1) break;
    let j = close + 6;
    let pid = 0;
    for (let c = line.charCodeAt(j); c >= 48 && c <= 57; c = line.charCodeAt(++j)) pid = pid * 10 + (c - 48);
    if (j === close + 6) break;
    out.push({ name: line.slice(open + 2, close), pid });
    i = j;
  }
  return out.length ? out : undefined;
}

const isSpace = (c: number) => c === 32 || c === 9;

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (!isSpace(line.charCodeAt(i))) return false;
  return true;
}

type LineResult = { listener: Listener } | { skip: 'udp' | 'notListening' | 'other' } | { error: string };
const SKIP_UDP = { skip: 'udp' } as const;
const SKIP_OTHER = { skip: 'other' } as const;
const SKIP_NOT_LISTENING = { skip: 'notListening' } as const;

/** Word boundaries of the current line (start, end pairs), reused: the hot loop allocates no arrays. */
const bounds = new Int32Array(16);

/** Finds up to `max` words of line[0, end); returns how many. */
function scanWords(line: string, end: number, max: number): number {
  let count = 0;
  let i = 0;
  while (i < end && count < max) {
    while (i < end && isSpace(line.charCodeAt(i))) i++;
    if (i >= end) break;
    bounds[2 * count] = i;
    while (i < end && !isSpace(line.charCodeAt(i))) i++;
    bounds[2 * count + 1] = i;
    count++;
  }
  return count;
}

const word = (line: string, k: number) => line.slice(bounds[2 * k], bounds[2 * k + 1]);

function isNumberWord(line: string, k: number): boolean {
  const a = bounds[2 * k] as number;
  const b = bounds[2 * k + 1] as number;
  for (let i = a; i < b; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return b > a;
}

function parseSsLine(line: string, n: number): LineResult {
  const usersAt = line.indexOf('users:((');
  const count = scanWords(line, usersAt === -1 ? line.length : usersAt, 6);
  // A Netid column (tcp, udp…) is lower case; states (LISTEN, UNCONN…) are upper case.
  const first = line.charCodeAt(bounds[0] as number);
  const netid = count > 0 && first >= 97 && first <= 122 ? word(line, 0) : null;
  const k = netid === null ? 0 : 1;
  const state = count > k ? word(line, k) : undefined;
  if (
    (netid !== null && !SS_NETIDS.has(netid)) ||
    count < k + 5 ||
    state === undefined ||
    !SS_STATES.has(state) ||
    !isNumberWord(line, k + 1) ||
    !isNumberWord(line, k + 2)
  ) {
    return { error: 'not an ss row (State Recv-Q Send-Q Local:Port Peer:Port [Process])' };
  }
  const local = word(line, k + 3);
  if (netid !== null && netid !== 'tcp') return netid === 'udp' ? SKIP_UDP : SKIP_OTHER;
  if (state !== 'LISTEN') return SKIP_NOT_LISTENING;
  const ep = parseEndpoint(local);
  if (!ep) return { error: `unreadable local address ${JSON.stringify(local)}` };
  let processes: ProcessRef[] | null = null;
  if (usersAt !== -1) {
    const parsed = parseSsProcesses(line, usersAt);
    if (!parsed) return { error: 'unreadable process column (expected users:(("name",pid=N,fd=N),…))' };
    processes = parsed;
  }
  return {
    listener: {
      proto: 'tcp',
      address: ep.address,
      device: ep.device,
      port: ep.port,
      processes,
      namesTruncated: false,
      addressTruncated: false,
      format: 'ss',
      line: n,
    },
  };
}

function parseNetstatLine(line: string, n: number): LineResult {
  const t = line.trim().split(/\s+/);
  const proto = t[0] as string;
  if (!NETSTAT_PROTOS.has(proto) || !NUMBER.test(t[1] ?? '') || !NUMBER.test(t[2] ?? '') || t[3] === undefined || t[4] === undefined) {
    return { error: 'not a netstat row (Proto Recv-Q Send-Q Local Foreign State PID/Program)' };
  }
  if (!proto.startsWith('tcp')) return { skip: proto.startsWith('udp') ? 'udp' : 'other' };
  if (t[5] !== 'LISTEN') return t[5] === undefined ? { error: 'a tcp row without a state' } : { skip: 'notListening' };
  const ep = parseEndpoint(t[3], true);
  if (!ep) return { error: `unreadable local address ${JSON.stringify(t[3])}` };
  const program = t.slice(6).join(' ');
  let processes: ProcessRef[] | null = null;
  let namesTruncated = false;
  if (program !== '' && program !== '-') {
    const slash = program.indexOf('/');
    if (slash <= 0 || !NUMBER.test(program.slice(0, slash))) return { error: `unreadable PID/Program ${JSON.stringify(program)}` };
    // netstat shows argv[0], which daemons rewrite as `name: what it does` (`sshd: /usr/sbin/sshd -D…`).
    const name = (program.slice(slash + 1).split(':')[0] as string).trim();
    processes = [{ name, pid: Number(program.slice(0, slash)) }];
    namesTruncated = program.length >= NETSTAT_PROGRAM_WIDTH && !program.slice(slash + 1).includes(':');
  }
  return {
    listener: {
      proto: 'tcp',
      address: ep.address,
      device: ep.device,
      port: ep.port,
      processes,
      namesTruncated,
      addressTruncated: ep.truncated,
      format: 'netstat',
      line: n,
    },
  };
}

interface LsofRow {
  command: string;
  pid: number;
  device: string;
  endpoint: Endpoint;
}

function parseLsofLine(line: string): LineResult | { lsof: LsofRow } {
  const t = line.trim().split(/\s+/);
  let state: string | undefined;
  if (/^\([A-Z_]+\)$/.test(t[t.length - 1] as string)) state = (t.pop() as string).slice(1, -1);
  const name = t.pop();
  const node = t.pop();
  t.pop(); // SIZE/OFF
  const device = t.pop();
  const type = t.pop();
  const command = t[0];
  const pid = t[1];
  if (name === undefined || (type !== 'IPv4' && type !== 'IPv6') || command === undefined || !NUMBER.test(pid ?? '') || device === undefined) {
    return { error: 'not an lsof row (COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME)' };
  }
  if (node !== 'TCP') return { skip: node === 'UDP' ? 'udp' : 'other' };
  if (state !== 'LISTEN' || name.includes('->')) return { skip: 'notListening' };
  const ep = parseEndpoint(name);
  if (!ep) return { error: `unreadable address ${JSON.stringify(name)}` };
  // lsof prints an IPv4 wildcard as *:P and an IPv6 one (dual-stack or not) the same way.
  const address = ep.address === '*' ? (type === 'IPv4' ? '0.0.0.0' : '::') : ep.address;
  return { lsof: { command: command.replace(/\\x20/g, ' '), pid: Number(pid), device, endpoint: { ...ep, address } } };
}

/** First characters of the header lines detectHeader knows: (S)tate (N)etid (A)ctive (P)roto (C)OMMAND. */
const HEADER_START = new Set(['S', 'N', 'A', 'P', 'C'].map((c) => c.charCodeAt(0)));

function detectHeader(line: string): CaptureFormat | 'stop' | undefined {
  if (/^(State|Netid)\s+(State\s+)?Recv-Q/.test(line)) return 'ss';
  if (/^Active Internet connections/.test(line) || /^Proto\s+Recv-Q\s+Send-Q/.test(line)) return 'netstat';
  if (/^Active (UNIX domain|Bluetooth) /.test(line)) return 'stop';
  if (/^COMMAND\s+PID\s/.test(line)) return 'lsof';
  return undefined;
}

function sniffRow(line: string): CaptureFormat | undefined {
  const t = line.trim().split(/\s+/);
  if (SS_STATES.has(t[0] as string)) return 'ss';
  if (SS_NETIDS.has(t[0] as string) && SS_STATES.has(t[1] as string)) return 'ss';
  if (NETSTAT_PROTOS.has(t[0] as string) && NUMBER.test(t[1] ?? '')) return 'netstat';
  return undefined;
}

const NOTES: Record<CaptureFormat, string[]> = {
  ss: [],
  netstat: [
    'netstat does not show device bindings (ss prints them as 0.0.0.0%dev): a wildcard here may be narrowed to one interface, and is judged as public',
    'netstat prints IPv4-mapped addresses as IPv4 and cannot tell dual-stack from IPv6-only sockets',
  ],
  lsof: [
    'lsof does not show device bindings: a wildcard here may be narrowed to one interface, and is judged as public',
    'lsof cannot tell dual-stack from IPv6-only sockets and prints IPv4-mapped addresses as IPv4',
  ],
};

/** Parses a listener capture in any supported format; throws CaptureParseError on anything else. */
export function parseListeners(text: string): Capture {
  if (text.includes('\0')) throw new CaptureParseError('binary data (NUL bytes), not a listener capture', 1, '');
  const lines = text.split('\n');
  const capture: Capture = { formats: [], listeners: [], skipped: { udp: 0, notListening: 0, other: 0 }, notes: [] };
  let format: CaptureFormat | undefined;
  let stopped = false;
  const lsofRows: Array<LsofRow & { line: number }> = [];
  let lsofLongestCommand = 0;
  const use = (f: CaptureFormat) => {
    format = f;
    if (!capture.formats.includes(f)) capture.formats.push(f);
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = i + 1;
    if (isBlank(line)) continue;
    if (line.length > MAX_LINE) throw new CaptureParseError(`line longer than ${MAX_LINE} characters`, n, '');
    const header = HEADER_START.has(line.charCodeAt(0)) ? detectHeader(line) : undefined;
    if (header === 'stop') {
      stopped = true;
      continue;
    }
    if (header) {
      use(header);
      stopped = false;
      continue;
    }
    if (stopped) continue;
    if (format !== 'ss' && (/^lsof: WARNING/.test(line) || /^\s*Output information may be incomplete/.test(line))) {
      capture.notes.push(`lsof warned: ${line.trim()}`);
      continue;
    }
    // netstat run without root says so before the table (sometimes over two lines).
    if (
      format !== 'ss' &&
      (/^\((No info could be read|Not all processes could be identified)/.test(line) ||
        /^\s*(non-owned process info|will not be shown, you would have to be root)/.test(line))
    ) {
      capture.notes.push(`netstat: ${line.trim()}`);
      continue;
    }
    if (format === undefined) {
      const sniffed = sniffRow(line);
      if (!sniffed)
        throw new CaptureParseError('not a listener capture (expected the output of ss -tlnp, netstat -tlnp or lsof -nP -iTCP -sTCP:LISTEN)', n, line);
      use(sniffed);
    }
    const r = format === 'ss' ? parseSsLine(line, n) : format === 'netstat' ? parseNetstatLine(line, n) : parseLsofLine(line);
    if ('error' in r) throw new CaptureParseError(r.error, n, line);
    if ('skip' in r) capture.skipped[r.skip]++;
    else if ('lsof' in r) {
      lsofRows.push({ ...r.lsof, line: n });
      lsofLongestCommand = Math.max(lsofLongestCommand, r.lsof.command.length);
    } else capture.listeners.push(r.listener);
  }
  // lsof prints one row per process and descriptor; rows of one socket (same DEVICE) are merged.
  const bySocket = new Map<string, Listener>();
  for (const row of lsofRows) {
    const key = `${row.device} ${row.endpoint.address} ${row.endpoint.port}`;
    const existing = bySocket.get(key);
    if (existing) {
      if (!existing.processes?.some((p) => p.pid === row.pid)) existing.processes?.push({ name: row.command, pid: row.pid });
      continue;
    }
    const listener: Listener = {
      proto: 'tcp',
      ...row.endpoint,
      processes: [{ name: row.command, pid: row.pid }],
      namesTruncated: false,
      addressTruncated: false,
      format: 'lsof',
      line: row.line,
    };
    bySocket.set(key, listener);
    capture.listeners.push(listener);
  }
  // Without `+c`, lsof cuts COMMAND at 9 characters; a longer one anywhere means `+c` was given.
  if (lsofLongestCommand <= LSOF_COMMAND_WIDTH) {
    for (const l of bySocket.values()) l.namesTruncated = l.processes?.some((p) => p.name.length === LSOF_COMMAND_WIDTH) ?? false;
  }
  for (const f of capture.formats) capture.notes.push(...NOTES[f]);
  if (capture.listeners.some((l) => l.addressTruncated))
    capture.notes.push('netstat cut some IPv6 addresses short (capture with netstat -W or ss); their tier is judged from the part shown');
  if (lsofRows.length) capture.listeners.sort((a, b) => a.line - b.line);
  return capture;
}
