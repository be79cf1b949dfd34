import { checkText, MAX_COMMAND_BYTES, type Rejection, tokenizeCommand } from './tokenize.js';
import { type AnalyzedSegment, unwrapArgv, unwrapSegments } from './wrappers.js';

export type CommandInput = { command: string } | { argv: string[] };

export type Analysis = { ok: true; segments: AnalyzedSegment[] } | { ok: false; rejection: Rejection };

/**
 * Analyses a request: a shell-like string through the grammar, or an argv as given (no shell ever
 * sees it, but wrappers are still unwrapped and the text still checked for NUL, controls and size).
 */
export function analyzeCommand(input: CommandInput): Analysis {
  if ('command' in input) {
    const parsed = tokenizeCommand(input.command);
    if (!parsed.ok) return parsed;
    return unwrapSegments(parsed.segments, 0);
  }
  const argv = input.argv;
  if (argv.length === 0) return { ok: false, rejection: { code: 'empty_command', reason: 'the command is empty' } };
  let bytes = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    bytes += Buffer.byteLength(a, 'utf8') + 1;
    if (bytes > MAX_COMMAND_BYTES) return { ok: false, rejection: { code: 'input_too_large', reason: 'command is larger than 64 KiB' } };
    const bad = checkText(a, `argument ${i}`);
    if (bad) return { ok: false, rejection: bad };
  }
  if (argv[0] === '') return { ok: false, rejection: { code: 'empty_command', reason: 'the executable name is empty' } };
  return unwrapArgv(argv, 0);
}

export type { Operator, Rejection } from './tokenize.js';
export type { AnalyzedSegment } from './wrappers.js';
