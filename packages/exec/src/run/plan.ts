/**
 * From an allowed decision to what the runner executes. Each segment runs the file the decision
 * resolved and judged (its realpath — a symlink swapped after the decision changes nothing), with
 * argv[0] as the request wrote it. Wrappers the analysis kept (`timeout 5 …`, `nice …`) are resolved
 * through the policy's PATH the same way, and the wrapped command is given to them by its decided
 * path, so no PATH lookup happens after the decision. Only under security `full`, a command the
 * analysis could not split is handed to `/bin/sh -c` (SPEC principle 2) — a string — or run as the
 * argv it is, its executable resolved through the policy's PATH.
 */
import { type Decision, OpenclawError, resolveExecutable } from '@openclaw/policy';
import type { PlannedCommand } from '../runner/types.js';

export function commandsFromDecision(
  decision: Decision,
  request: { command?: string | undefined; argv?: string[] | undefined; cwd: string },
): PlannedCommand[] {
  const pathDirs = (decision.childEnv?.PATH ?? '').split(':').filter((d) => d.startsWith('/'));
  if (decision.segments.length === 0) {
    if (decision.security === 'full' && request.command !== undefined) return [{ file: '/bin/sh', argv: ['sh', '-c', request.command] }];
    const argv0 = request.argv?.[0];
    if (decision.security === 'full' && argv0 !== undefined && request.argv) {
      const r = resolveExecutable(argv0, request.cwd, pathDirs);
      return [{ file: r.ok ? r.realPath : '', argv: [...request.argv] }];
    }
    throw new OpenclawError({ code: 'nothing_to_run', reason: 'the decision has no command to run', exitCode: 77 });
  }
  return decision.segments.map((s) => {
    const op = (s.op ?? undefined) as PlannedCommand['op'];
    if (s.realPath === null) return { file: '', argv: s.execArgv, op };
    const inner = s.execArgv.length - s.argv.length;
    if (inner <= 0) return { file: s.realPath, argv: s.execArgv, op };
    const wrapper = s.execArgv[0] as string;
    const r = resolveExecutable(wrapper, request.cwd, pathDirs);
    const argv = [...s.execArgv];
    argv[inner] = s.realPath;
    return { file: r.ok ? r.realPath : '', argv, op };
  });
}
