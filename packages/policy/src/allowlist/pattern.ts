/**
 * Allowlist patterns (SPEC §3): matched against the executable's canonical path, case-sensitive.
 * `*` is any run of characters without `/`, `**` is anything, `?` one character other than `/`, a
 * leading `~/` is the home directory. A pattern must be a path: one without `/` (like `git`) is
 * rejected with an error rather than silently matching nothing.
 */
import { OpenclawError } from '../errors.js';

export interface CompiledPattern {
  /** The pattern as written. */
  source: string;
  /** After `~/` expansion. */
  expanded: string;
  /** Exact path when the pattern has no wildcard. */
  exact?: string;
  regex?: RegExp;
  /** The literal directory prefix before the first wildcard, used to index patterns. */
  prefix: string;
  /** Position in the allowlist: the first matching pattern is reported. */
  index: number;
  /** The allowlist entry's id, when it has one. */
  id?: string;
}

export function patternError(source: string): string | undefined {
  if (source === '') return 'empty pattern';
  if (/[\u0000-\u001f\u007f]/.test(source)) return 'pattern contains a control character';
  if (!source.includes('/') && !source.startsWith('~')) {
    return `pattern "${source}" has no "/": patterns match the executable's full path (e.g. "/usr/bin/${source}" or "**/${source}")`;
  }
  if (source.startsWith('~') && !source.startsWith('~/')) return `pattern "${source}": only "~/" (your home) is supported`;
  if (!source.startsWith('/') && !source.startsWith('~/') && !source.startsWith('*')) {
    return `pattern "${source}" is relative: start it with "/", "~/" or "**/"`;
  }
  return undefined;
}

export function compilePattern(source: string, home: string, index = 0, id?: string): CompiledPattern {
  const problem = patternError(source);
  if (problem) {
    throw new OpenclawError({
      code: 'invalid_pattern',
      reason: problem,
      hint: 'fix the pattern in the approvals file, e.g. `openclaw approvals allowlist add /usr/bin/git`',
    });
  }
  const expanded = source.startsWith('~/') ? `${home.replace(/\/+$/, '')}/${source.slice(2)}` : source;
  const firstWild = expanded.search(/[*?]/);
  const base = { source, expanded, index, ...(id === undefined ? {} : { id }) };
  if (firstWild === -1) return { ...base, exact: expanded, prefix: expanded.slice(0, expanded.lastIndexOf('/') + 1) };
  const literal = expanded.slice(0, firstWild);
  let re = '^';
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i] as string;
    if (c === '*') {
      if (expanded[i + 1] === '*') {
        // `/**/` also matches a single `/` (zero directories), as in most glob dialects.
        if (expanded[i + 2] === '/' && (i === 0 || expanded[i - 1] === '/')) {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i++;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  re += '$';
  return { ...base, regex: new RegExp(re, 'u'), prefix: literal.slice(0, literal.lastIndexOf('/') + 1) };
}

export function matchPattern(p: CompiledPattern, path: string): boolean {
  return p.exact !== undefined ? p.exact === path : (p.regex as RegExp).test(path);
}
