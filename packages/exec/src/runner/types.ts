/**
 * The runner's vocabulary. A *plan* is what policy decided: commands (the file to execute — the path
 * the decision resolved, never a fresh PATH lookup — and the argv the process sees), the operators
 * joining them, the minimal env, cwd, limits. A *launcher* turns one command into the process to
 * spawn: the host launcher spawns it as is, a sandbox launcher wraps it (bwrap today; issue 5 adds
 * more backends behind the same interface).
 */
import type { Operator } from '@openclaw/policy';

export interface PlannedCommand {
  /** Absolute path of the executable. */
  file: string;
  /** The argv the process gets; argv[0] is kept as the request wrote it. */
  argv: string[];
  /** The operator joining this command to the next one (absent on the last). */
  op?: Operator | undefined;
}

export interface RunPlan {
  commands: PlannedCommand[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** stdout+stderr characters kept across all commands. */
  maxOutputChars: number;
  /** Between TERM and KILL when the time is up (default 2 s). */
  killGraceMs?: number;
  /** Cancels the run (TERM then KILL), e.g. a cancelled job. */
  signal?: AbortSignal;
  /**
   * Told the output as it arrives — the last member's stdout and every member's stderr, decoded as
   * UTF-8 — up to `maxOutputChars` across the plan (first come, first told; what is over is dropped
   * here, and the evidence says it was truncated). For a CLI that prints while the command runs.
   */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/** The evidence of one command (SPEC §5), plus how it ended. */
export interface CommandEvidence {
  argv: string[];
  returncode: number | null;
  timed_out: boolean;
  duration_ms: number;
  stdout: string;
  stderr: string;
  stdout_bytes: number;
  stderr_bytes: number;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  /** The signal that ended it, if any. */
  signal: string | null;
  /** The executable actually started (after any sandbox wrapping, the command's own file). */
  file: string;
  /** stdout went to the next command of a pipe, not to the capture. */
  piped: boolean;
  /** Why it could not start (ENOENT, EACCES…). */
  error?: string;
}

export interface RunResult {
  evidence: CommandEvidence[];
  /** Shell-like status of the whole list: the last command run, 124 when the time ran out. */
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/** What to spawn for one command. */
export interface LaunchSpec {
  file: string;
  args: string[];
  argv0: string;
  cwd: string;
  env: Record<string, string>;
  /** Descriptors the child gets as fd 3, 4, … (e.g. bwrap's seccomp program). */
  extraFds?: number[];
  /** Called once the process was spawned (or failed to): closes what `launch` opened. */
  release?: () => void;
}

export interface Launcher {
  readonly name: string;
  launch(cmd: PlannedCommand, ctx: { cwd: string; env: Record<string, string> }): LaunchSpec;
}
