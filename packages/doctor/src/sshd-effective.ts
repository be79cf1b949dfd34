/**
 * The effective sshd configuration as `sshd -T` prints it: one `keyword value` per line, keywords
 * in lower case, repeated keywords (listenaddress, port) once per value. This is what sshd will
 * actually do, after Include, first-value-wins and defaults — the only reading of sshd_config the
 * doctor and fix-ssh trust.
 */
import { parseEndpoint } from './ports/parse.js';

export type SshdEffective = Map<string, string[]>;

export function parseSshdEffective(text: string): SshdEffective {
  const out: SshdEffective = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const sp = line.indexOf(' ');
    const key = (sp === -1 ? line : line.slice(0, sp)).toLowerCase();
    const value = sp === -1 ? '' : line.slice(sp + 1).trim();
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

export interface SshdListen {
  address: string;
  port: number;
  /** As sshd prints it: `0.0.0.0:22`, `[::]:22`. */
  text: string;
}

/** The `listenaddress` values as addresses and ports (an `rdomain` suffix is ignored). */
export function sshdListenAddresses(effective: SshdEffective): SshdListen[] {
  const out: SshdListen[] = [];
  for (const v of effective.get('listenaddress') ?? []) {
    const text = v.split(/\s+/)[0] as string;
    const ep = parseEndpoint(text);
    if (ep) out.push({ address: ep.address, port: ep.port, text });
  }
  return out;
}
