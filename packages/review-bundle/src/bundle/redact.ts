/**
 * Secret redaction on added lines. A reviewer (often a hosted model) must never receive a credential
 * the change introduces, so each match is replaced by `[REDACTED:<rule>]` and recorded with its rule
 * and location — never its value. Redacted lines no longer reproduce TO, which the artifact says.
 * Only added lines are redacted: context and deleted lines must match the old file for `git apply`.
 */

export interface SecretRule {
  id: string;
  re: RegExp;
  /** Which capture group is the secret (0 = the whole match). */
  group?: number;
}

export const SECRET_RULES: SecretRule[] = [
  { id: 'private_key', re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/g },
  { id: 'aws_access_key_id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { id: 'aws_secret_access_key', re: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})/gi, group: 1 },
  { id: 'github_token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { id: 'openai_api_key', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}\b/g },
  { id: 'anthropic_api_key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}\b/g },
  { id: 'slack_token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { id: 'stripe_key', re: /\b[rs]k_live_[A-Za-z0-9]{16,}\b/g },
  { id: 'google_api_key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { id: 'jwt', re: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g },
  {
    id: 'assigned_secret',
    re: /\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)["']?\s*[:=]\s*["']([^"'\s]{8,})["']/gi,
    group: 1,
  },
];

// Cheap first pass: most lines contain none of these, and then no rule can match.
const PREFILTER = /AKIA|ASIA|gh[pousr]_|github_pat_|sk-|xox|_live_|AIza|eyJ|PRIVATE KEY|pass|secret|api.?key|token/i;

/** False when no rule can match anywhere in `text` (diff lines, as latin1: a chunk or one line). */
export function mayContainSecret(text: string): boolean {
  return PREFILTER.test(text);
}

export interface Redaction {
  rule: string;
  /** Byte column (1-based) in the line's content where the secret started. */
  column: number;
}

/** Splits `+content\r\n[\ No newline…]` into the content (latin1, one char per byte) and the rest. */
function splitAdded(line: Buffer): { content: string; trailer: Buffer } {
  let end = line.indexOf(10);
  if (end === -1) end = line.length;
  else if (end > 0 && line[end - 1] === 13) end--;
  return { content: line.toString('latin1', 1, end), trailer: line.subarray(end) };
}

function join(content: string, trailer: Buffer): Buffer {
  return Buffer.concat([Buffer.from('+'), Buffer.from(content, 'latin1'), trailer]);
}

/**
 * Redacts one added line (`+content\n`, as bytes). Returns the line unchanged (same Buffer) when no
 * rule matches. Works on a latin1 view so offsets are byte offsets and non-UTF-8 bytes survive.
 */
export function redactAddedLine(line: Buffer, rules: SecretRule[] = SECRET_RULES): { bytes: Buffer; redactions: Redaction[] } {
  const { content, trailer } = splitAdded(line);
  if (!PREFILTER.test(content)) return { bytes: line, redactions: [] };
  const spans: { start: number; end: number; rule: string }[] = [];
  for (const rule of rules) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(content); m; m = rule.re.exec(content)) {
      const g = rule.group ?? 0;
      const value = m[g];
      if (value === undefined) continue;
      const start = m.index + (g === 0 ? 0 : m[0].indexOf(value));
      // A key block's first line is redacted to its end; the following lines by PrivateKeyTracker.
      const end = rule.id === 'private_key' ? content.length : start + value.length;
      if (!spans.some((s) => start < s.end && end > s.start)) spans.push({ start, end, rule: rule.id });
    }
  }
  if (!spans.length) return { bytes: line, redactions: [] };
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += `${content.slice(at, s.start)}[REDACTED:${s.rule}]`;
    at = s.end;
  }
  out += content.slice(at);
  return { bytes: join(out, trailer), redactions: spans.map((s) => ({ rule: s.rule, column: s.start + 1 })) };
}

/** Replaces a whole added line's content (a line inside a private key block). */
export function redactWholeLine(line: Buffer, rule: string): Buffer {
  return join(`[REDACTED:${rule}]`, splitAdded(line).trailer);
}

/**
 * The body of a PEM private key spans lines: after a BEGIN line every added line up to the END line
 * is redacted whole. One tracker per file.
 */
export class PrivateKeyTracker {
  private inside = false;

  /** Inside a key block, every added line is redacted whatever it contains. */
  get active(): boolean {
    return this.inside;
  }

  /** Redacts `line` (an added line) with everything the rules and an open key block require. */
  redact(line: Buffer): { bytes: Buffer; redactions: Redaction[] } {
    if (this.inside) {
      if (/-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/.test(line.toString('latin1'))) this.inside = false;
      return { bytes: redactWholeLine(line, 'private_key'), redactions: [{ rule: 'private_key', column: 1 }] };
    }
    const r = redactAddedLine(line);
    if (r.redactions.some((x) => x.rule === 'private_key') && !/-----END [A-Z0-9 ]*PRIVATE KEY/.test(line.toString('latin1'))) this.inside = true;
    return r;
  }

  /** A key block never continues across a context or deleted line. */
  interrupt(): void {
    this.inside = false;
  }
}
