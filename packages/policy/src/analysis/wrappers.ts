/**
 * Wrapper commands: `sh -c SCRIPT`, `env`, `nice`, `nohup`, `timeout`, `stdbuf`, `time`.
 *
 * A wrapper is recognised only when written as a bare name (so it resolves through the policy's PATH,
 * never a look-alike file in the working directory); the command it wraps is what policy judges.
 * Shells, `env` and `time` are dropped: the runner executes what they would have executed. `nice`,
 * `nohup`, `timeout` and `stdbuf` are kept in the argv the runner executes, because their effect
 * (priority, SIGHUP, time limit, buffering) is part of the request.
 */
import { type Operator, type Rejection, tokenizeCommand } from './tokenize.js';

export interface AnalyzedSegment {
  /** The command policy judges: the innermost command after unwrapping. */
  argv: string[];
  /** What the runner executes: kept wrappers with their options, then `argv`. */
  execArgv: string[];
  /** Wrappers removed or kept around `argv`, outermost first (e.g. `bash -c`, `timeout`). */
  wrappers: string[];
  op?: Operator;
}

export type UnwrapResult = { ok: true; segments: AnalyzedSegment[] } | { ok: false; rejection: Rejection };

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh']);
const SHELL_C = new Set(['-c', '-lc', '-cl']);
export const MAX_SHELL_DEPTH = 3;
const MAX_WRAPPERS = 8;

const INT = /^[+-]?\d{1,3}$/;
const DURATION = /^\d+(\.\d+)?[smhd]?$/;
const SIGNAL = /^(SIG)?[A-Z0-9+-]{1,12}$/i;
const BUF_MODE = /^(L|0|\d+[KMGTPEZY]?B?)$/i;

function fail(code: string, reason: string): UnwrapResult {
  return { ok: false, rejection: { code, reason } };
}

/** Consumes `nice`'s options; returns the index of the wrapped command or an error. */
function niceOptions(a: string[]): number | string {
  let i = 1;
  const x = a[1];
  if (x === '-n') {
    if (!INT.test(a[2] ?? '')) return 'nice -n needs an integer';
    i = 3;
  } else if (x !== undefined && (/^-n[+-]?\d+$/.test(x) || /^--adjustment=[+-]?\d+$/.test(x) || /^-\d+$/.test(x))) {
    i = 2;
  } else if (x?.startsWith('-')) return `nice option ${x} is not supported`;
  return i;
}

function timeoutOptions(a: string[]): number | string {
  let i = 1;
  for (; i < a.length; i++) {
    const x = a[i] as string;
    if (x === '--preserve-status' || x === '--foreground' || x === '-v' || x === '--verbose') continue;
    if (x === '-s' || x === '-k') {
      const v = a[i + 1] ?? '';
      if (!(x === '-s' ? SIGNAL : DURATION).test(v)) return `timeout ${x} needs a ${x === '-s' ? 'signal' : 'duration'}`;
      i++;
      continue;
    }
    if (/^--signal=/.test(x)) {
      if (!SIGNAL.test(x.slice(9))) return 'timeout --signal needs a signal';
      continue;
    }
    if (/^--kill-after=/.test(x)) {
      if (!DURATION.test(x.slice(13))) return 'timeout --kill-after needs a duration';
      continue;
    }
    if (x.startsWith('-')) return `timeout option ${x} is not supported`;
    break;
  }
  if (!DURATION.test(a[i] ?? '')) return 'timeout needs a duration before the command';
  return i + 1;
}

function stdbufOptions(a: string[]): number | string {
  let i = 1;
  for (; i < a.length; i++) {
    const x = a[i] as string;
    if (x === '-i' || x === '-o' || x === '-e') {
      if (!BUF_MODE.test(a[i + 1] ?? '')) return `stdbuf ${x} needs a buffering mode`;
      i++;
      continue;
    }
    const m = /^(?:-[ioe]|--(?:input|output|error)=)(.+)$/.exec(x);
    if (m) {
      if (!BUF_MODE.test(m[1] as string)) return `stdbuf ${x}: bad buffering mode`;
      continue;
    }
    if (x.startsWith('-')) return `stdbuf option ${x} is not supported`;
    break;
  }
  return i;
}

/**
 * Unwraps one segment. May return several segments when it holds `sh -c 'a && b'`; that is allowed
 * only where flattening keeps the meaning (see `unwrapSegments`).
 */
export function unwrapArgv(argv: string[], shellDepth: number): UnwrapResult {
  let cur = argv;
  const kept: string[] = [];
  const wrappers: string[] = [];
  for (let steps = 0; ; steps++) {
    if (steps > MAX_WRAPPERS) return fail('wrapper_depth', `more than ${MAX_WRAPPERS} nested wrappers`);
    const name = cur[0] as string;
    if (name.includes('/')) break;
    let next: number | string | undefined;
    let keep = false;
    if (SHELLS.has(name)) {
      const opt = cur[1];
      if (opt === undefined || !opt.startsWith('-')) break; // a shell running a script file: judged as the shell
      if (!SHELL_C.has(opt)) return fail('unsupported_wrapper_form', `\`${name} ${opt}\` is not supported; only \`${name} -c SCRIPT\` is unwrapped`);
      const script = cur[2];
      if (script === undefined) return fail('wrapper_without_command', `\`${name} ${opt}\` without a script`);
      if (shellDepth >= MAX_SHELL_DEPTH) return fail('wrapper_depth', `shells nested more than ${MAX_SHELL_DEPTH} deep`);
      const parsed = tokenizeCommand(script);
      if (!parsed.ok) {
        const r = parsed.rejection;
        return fail(r.code, `inside \`${name} ${opt}\`: ${r.reason}`);
      }
      const inner = unwrapSegments(parsed.segments, shellDepth + 1);
      if (!inner.ok) return inner;
      if (inner.segments.length > 1 && kept.length > 0) {
        return fail('unsupported_wrapper_form', `\`${kept[0]}\` around a shell list cannot run without a shell`);
      }
      const label = `${name} ${opt}`;
      return {
        ok: true,
        segments: inner.segments.map((s) => ({
          ...s,
          execArgv: [...kept, ...s.execArgv],
          wrappers: [...wrappers, label, ...s.wrappers],
        })),
      };
    }
    switch (name) {
      case 'env': {
        const x = cur[1];
        if (x === undefined) next = undefined;
        else if (x.startsWith('-') || x.includes('=')) return fail('unsupported_wrapper_form', 'env with options or assignments is not allowed');
        else next = 1;
        break;
      }
      case 'time': {
        const x = cur[1];
        if (x === '-p') next = 2;
        else if (x?.startsWith('-')) return fail('unsupported_wrapper_form', `time option ${x} is not supported`);
        else next = x === undefined ? undefined : 1;
        break;
      }
      case 'nohup':
        if (cur[1]?.startsWith('-')) return fail('unsupported_wrapper_form', `nohup option ${cur[1]} is not supported`);
        next = cur[1] === undefined ? undefined : 1;
        keep = true;
        break;
      case 'nice':
        next = niceOptions(cur);
        keep = true;
        break;
      case 'timeout':
        next = timeoutOptions(cur);
        keep = true;
        break;
      case 'stdbuf':
        next = stdbufOptions(cur);
        keep = true;
        break;
      default:
        next = undefined;
    }
    if (typeof next === 'string') return fail('unsupported_wrapper_form', next);
    if (next === undefined) break; // not a wrapper, or a wrapper used alone: judged as itself
    if (next >= cur.length) return fail('wrapper_without_command', `\`${name}\` without a command to run`);
    if (keep) kept.push(...cur.slice(0, next));
    wrappers.push(name);
    cur = cur.slice(next);
  }
  return { ok: true, segments: [{ argv: cur, execArgv: [...kept, ...cur], wrappers }] };
}

/**
 * Unwraps every segment of a list. A shell wrapper whose script is itself a list is flattened only
 * when it is the whole list: `a && sh -c 'b || c'` means `a && (b || c)`, which a flat list cannot say.
 */
export function unwrapSegments(segments: { argv: string[]; op?: Operator }[], shellDepth: number): UnwrapResult {
  const out: AnalyzedSegment[] = [];
  for (const seg of segments) {
    const r = unwrapArgv(seg.argv, shellDepth);
    if (!r.ok) return r;
    if (r.segments.length > 1 && segments.length > 1) {
      return fail('unsupported_wrapper_form', 'a shell wrapper holding a list (`sh -c "a && b"`) must be the whole command');
    }
    const last = r.segments.length - 1;
    for (let i = 0; i <= last; i++) {
      const s = r.segments[i] as AnalyzedSegment;
      // The list's operator goes on the last inner segment; built field by field (no object rest: hot path).
      const op = i === last ? seg.op : s.op;
      const next: AnalyzedSegment = { argv: s.argv, execArgv: s.execArgv, wrappers: s.wrappers };
      if (op) next.op = op;
      out.push(next);
    }
  }
  return { ok: true, segments: out };
}
