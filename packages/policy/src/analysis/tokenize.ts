/**
 * The command grammar: an allow-list, everything else is rejected (SPEC §3).
 *
 * Accepted: words made of plain characters, single quotes, double quotes and backslash escapes,
 * joined by `&&`, `||`, `;` and `|`, and a trailing `#` comment. The runner executes the resulting
 * argv itself, so anything whose meaning a shell would change (substitutions, expansions, redirects,
 * globs, subshells, assignments, background jobs, keywords) is refused rather than interpreted.
 */

export type Operator = '&&' | '||' | ';' | '|';

export interface ParsedSegment {
  argv: string[];
  /** The operator joining this segment to the next one (absent on the last). */
  op?: Operator;
}

export interface Rejection {
  code: string;
  reason: string;
  /** Offset (UTF-16) in the input where the problem starts, when there is one. */
  index?: number;
}

export type TokenizeResult = { ok: true; segments: ParsedSegment[] } | { ok: false; rejection: Rejection };

export const MAX_COMMAND_BYTES = 64 * 1024;

// C0 controls (tab is whitespace), DEL, C1 controls.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;
// Bidi embeddings/overrides/isolates and marks: text that displays in another order than it runs.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// Other invisible format characters (zero-width joiners, BOM, soft hyphen, tags…) and line separators.
const INVISIBLE = /[\p{Cf}\u2028\u2029]/u;

const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'case',
  'esac',
  'for',
  'select',
  'while',
  'until',
  'do',
  'done',
  'function',
  'coproc',
  'in',
  '!',
  '{',
  '}',
  '[[',
  ']]',
]);

function reject(code: string, reason: string, index?: number): TokenizeResult {
  return { ok: false, rejection: index === undefined ? { code, reason } : { code, reason, index } };
}

/** Checks that apply to any text that will reach a command line: size, NUL, controls, bidi. */
export function checkText(text: string, what = 'command'): Rejection | undefined {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: count bytes only when it could matter.
  if (text.length > MAX_COMMAND_BYTES || (text.length * 3 > MAX_COMMAND_BYTES && Buffer.byteLength(text, 'utf8') > MAX_COMMAND_BYTES)) {
    return { code: 'input_too_large', reason: `${what} is larger than 64 KiB` };
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) return { code: 'nul_byte', reason: `${what} contains a NUL byte`, index: nul };
  let m = CONTROL.exec(text);
  if (m) {
    const ch = m[0];
    const name =
      ch === '\n' ? 'a newline' : ch === '\r' ? 'a carriage return' : `control character U+${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
    return { code: ch === '\n' || ch === '\r' ? 'newline' : 'control_character', reason: `${what} contains ${name}`, index: m.index };
  }
  m = BIDI.exec(text);
  if (m) {
    return {
      code: 'bidi_control',
      reason: `${what} contains bidirectional control U+${m[0].charCodeAt(0).toString(16).toUpperCase()} (text may display in another order than it runs)`,
      index: m.index,
    };
  }
  m = INVISIBLE.exec(text);
  if (m) {
    return {
      code: 'invisible_character',
      reason: `${what} contains invisible character U+${m[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`,
      index: m.index,
    };
  }
  return undefined;
}

function dollarReason(next: string | undefined, after: string | undefined): [string, string] {
  if (next === '(') return after === '(' ? ['arithmetic_expansion', 'arithmetic expansion $((…))'] : ['command_substitution', 'command substitution $(…)'];
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text names the shell syntax
  if (next === '{') return ['parameter_expansion', 'parameter expansion ${…}'];
  if (next === "'") return ['ansi_c_quoting', "ANSI-C quoting $'…'"];
  if (next === '"') return ['locale_quoting', 'locale quoting $"…"'];
  return ['variable_expansion', 'variable expansion $NAME'];
}

/**
 * Splits a shell-like string into segments of argv, or says why it cannot be analysed.
 * Pure and allocation-light: it runs on every decision.
 */
export function tokenizeCommand(input: string): TokenizeResult {
  const bad = checkText(input);
  if (bad) return { ok: false, rejection: bad };

  const segments: ParsedSegment[] = [];
  let argv: string[] = [];
  let word = '';
  let inWord = false;
  // Raw (source) text of the current word, to recognise assignments and keywords as the shell would.
  let wordStart = 0;
  let wordQuoted = false;
  let sawOperator = false;

  const endWord = (i: number): TokenizeResult | undefined => {
    if (!inWord) return undefined;
    if (argv.length === 0) {
      // As the shell sees it: an unquoted NAME= prefix is an assignment even if the value is quoted;
      // a keyword counts only when written without any quoting.
      const raw = input.slice(wordStart, i);
      if (/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(raw)) {
        return reject('assignment', `leading variable assignment \`${raw.split('=')[0]}=…\` is not allowed`, wordStart);
      }
      if (!wordQuoted && KEYWORDS.has(word)) return reject('shell_keyword', `shell keyword \`${word}\` is not supported`, wordStart);
    }
    argv.push(word);
    word = '';
    inWord = false;
    wordQuoted = false;
    return undefined;
  };
  const startWord = (i: number) => {
    if (!inWord) {
      inWord = true;
      wordStart = i;
    }
  };
  const endSegment = (op: Operator | undefined, i: number): TokenizeResult | undefined => {
    if (argv.length === 0) {
      return op ? reject('empty_segment', `empty command before \`${op}\``, i) : reject('empty_segment', 'empty command after the last operator', i);
    }
    segments.push(op ? { argv, op } : { argv });
    argv = [];
    return undefined;
  };

  const n = input.length;
  let i = 0;
  while (i < n) {
    const c = input[i] as string;
    switch (c) {
      case ' ':
      case '\t': {
        const r = endWord(i);
        if (r) return r;
        i++;
        continue;
      }
      case "'": {
        startWord(i);
        wordQuoted = true;
        const close = input.indexOf("'", i + 1);
        if (close === -1) return reject('unterminated_quote', 'unterminated single quote', i);
        word += input.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      case '"': {
        startWord(i);
        wordQuoted = true;
        let j = i + 1;
        for (;;) {
          if (j >= n) return reject('unterminated_quote', 'unterminated double quote', i);
          const d = input[j] as string;
          if (d === '"') break;
          if (d === '\\') {
            const e = input[j + 1];
            if (e === undefined) return reject('unterminated_quote', 'unterminated double quote', i);
            if (e === '$' || e === '`' || e === '"' || e === '\\') {
              word += e;
            } else {
              word += `\\${e}`;
            }
            j += 2;
            continue;
          }
          if (d === '$') {
            const [code, what] = dollarReason(input[j + 1], input[j + 2]);
            return reject(code, `${what} inside double quotes is not allowed`, j);
          }
          if (d === '`') return reject('command_substitution', 'backtick command substitution is not allowed', j);
          word += d;
          j++;
        }
        i = j + 1;
        continue;
      }
      case '\\': {
        const e = input[i + 1];
        if (e === undefined) return reject('trailing_backslash', 'backslash at the end of the command', i);
        startWord(i);
        wordQuoted = true;
        word += e;
        i += 2;
        continue;
      }
      case '$': {
        const [code, what] = dollarReason(input[i + 1], input[i + 2]);
        return reject(code, `${what} is not allowed`, i);
      }
      case '`':
        return reject('command_substitution', 'backtick command substitution is not allowed', i);
      case '<':
      case '>': {
        if (input[i + 1] === '(') return reject('process_substitution', `process substitution ${c}(…) is not allowed`, i);
        if (c === '<' && input[i + 1] === '<') return reject('heredoc', 'here-documents and here-strings are not allowed', i);
        return reject('redirect', `redirection \`${c}\` is not allowed`, i);
      }
      case '(':
      case ')':
        return reject('subshell', 'subshells and parentheses are not allowed', i);
      case '{':
      case '}':
        return reject('brace', 'braces (groups or brace expansion) are not allowed; quote them to pass them literally', i);
      case '*':
      case '?':
      case '[':
        return reject('glob', `unquoted \`${c}\` would be a filename pattern; quote it to pass it literally`, i);
      case '~':
        if (!inWord) return reject('tilde_expansion', 'unquoted `~` at the start of a word would expand to a home directory; use the full path', i);
        word += c;
        i++;
        continue;
      case '!':
        if (!inWord) return reject('history_or_negation', 'unquoted `!` at the start of a word is not allowed', i);
        word += c;
        i++;
        continue;
      case '#':
        if (!inWord) {
          i = n; // a comment runs to the end: the input has no newlines
          continue;
        }
        word += c;
        i++;
        continue;
      case '&':
      case '|':
      case ';': {
        const r = endWord(i);
        if (r) return r;
        let op: Operator;
        if (c === '&') {
          if (input[i + 1] !== '&') {
            return reject(
              input[i + 1] === '>' ? 'redirect' : 'background',
              input[i + 1] === '>' ? 'redirection `&>` is not allowed' : 'background `&` is not allowed',
              i,
            );
          }
          op = '&&';
        } else if (c === '|') {
          if (input[i + 1] === '&') return reject('pipe_stderr', '`|&` is not allowed', i);
          op = input[i + 1] === '|' ? '||' : '|';
        } else {
          if (input[i + 1] === ';') return reject('empty_segment', '`;;` is not allowed', i);
          op = ';';
        }
        const s = endSegment(op, i);
        if (s) return s;
        sawOperator = true;
        i += op.length;
        continue;
      }
      default:
        startWord(i);
        word += c;
        i++;
    }
  }
  const r = endWord(n);
  if (r) return r;
  if (argv.length === 0) {
    if (sawOperator) return reject('empty_segment', 'empty command after the last operator', n);
    return reject('empty_command', 'the command is empty');
  }
  segments.push({ argv });
  return { ok: true, segments };
}
