/**
 * Git's C-style path quoting (core.quotePath=true): a path with a control character, a double quote,
 * a backslash or a byte ≥ 0x80 is written in double quotes with backslash escapes and octal bytes.
 * Paths are bytes (git does not promise UTF-8), so both directions work on Buffers.
 */

const ESC: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 34: '"', 92: '\\' };
const UNESC: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

function needsQuote(bytes: Buffer): boolean {
  for (const b of bytes) if (b < 0x20 || b === 0x22 || b === 0x5c || b >= 0x7f) return true;
  return false;
}

/** `prefix + path` as git prints it in patch headers (`a/x`, `"b/caf\303\251"`). */
export function quotePath(prefix: string, path: Buffer): string {
  const full = Buffer.concat([Buffer.from(prefix, 'latin1'), path]);
  if (!needsQuote(full)) return full.toString('latin1');
  let out = '"';
  for (const b of full) {
    const e = ESC[b];
    if (e !== undefined) out += `\\${e}`;
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

/** Reads one quoted name at `text[start] === '"'`; returns the bytes and the index after the quote. */
export function unquoteAt(text: string, start: number): { bytes: Buffer; end: number } | undefined {
  const out: number[] = [];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') return { bytes: Buffer.from(out), end: i + 1 };
    if (c !== '\\') {
      out.push(text.charCodeAt(i) & 0xff);
      continue;
    }
    const n = text[++i];
    if (n === undefined) return undefined;
    if (n >= '0' && n <= '7') {
      out.push(Number.parseInt(text.slice(i, i + 3), 8) & 0xff);
      i += 2;
    } else if (UNESC[n] !== undefined) out.push(UNESC[n] as number);
    else return undefined;
  }
  return undefined;
}

/**
 * A path field of a header line (`--- a/x`, `rename from x`): quoted or verbatim. Git appends a TAB
 * to an unquoted name that contains a space, which is not part of the name.
 */
export function parsePathField(field: string, prefix: string | null): Buffer | null {
  if (field === '/dev/null') return null;
  let bytes: Buffer;
  if (field.startsWith('"')) {
    const q = unquoteAt(field, 0);
    if (!q) throw new Error(`bad quoted path ${field}`);
    bytes = q.bytes;
  } else bytes = Buffer.from(field.endsWith('\t') ? field.slice(0, -1) : field, 'latin1');
  if (prefix) {
    const p = Buffer.from(prefix, 'latin1');
    if (bytes.subarray(0, p.length).equals(p)) bytes = bytes.subarray(p.length);
  }
  return bytes;
}

/** A path for JSON and people: UTF-8 when it is valid UTF-8, else git's quoted form. */
export function displayPath(path: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(path);
  } catch {
    return quotePath('', path);
  }
}
