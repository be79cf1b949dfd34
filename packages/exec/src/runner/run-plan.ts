/**
 * Running a plan: the runner is the shell, so no shell interprets agent text (SPEC principle 2).
 *
 * Commands joined by `|` form a pipeline whose members are connected by real pipes (a FIFO made in a
 * private directory, opened at both ends and unlinked at once: Node has no pipe(2), and its stdio
 * "pipes" are socketpairs, on which a writer whose reader left gets ECONNRESET instead of SIGPIPE).
 * The parent closes its copies after spawning, so the data never passes through it and a reader
 * that exits early sends SIGPIPE upstream as a shell would. Pipelines are joined by `&&`
 * (run if the last status was 0), `||` (run if it was not) and `;` (always), left to right, like
 * POSIX sh. The list's status is that of the last pipeline run; a pipeline's is its last member's.
 *
 * Each process starts in its own session (process group). When the time is up — or the plan's signal
 * aborts — every live group gets SIGTERM, then SIGKILL after a grace period. When a command exits,
 * what is left of its group (background children) is killed: a command's processes do not outlive it.
 * stdin is /dev/null. Output is captured with the policy's caps, shared by every command of the plan.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { OutputCapture, TRUNCATION_MARK } from '@openclaw/policy';
import { hostLauncher } from './host.js';
import type { CommandEvidence, Launcher, PlannedCommand, RunPlan, RunResult } from './types.js';

type Group = { commands: PlannedCommand[]; after: PlannedCommand['op'] };

/** Splits the list into pipelines, each with the operator that precedes it. */
function pipelines(commands: readonly PlannedCommand[]): Group[] {
  const groups: Group[] = [];
  let current: PlannedCommand[] = [];
  let after: PlannedCommand['op'];
  for (const c of commands) {
    current.push(c);
    if (c.op !== '|') {
      groups.push({ commands: current, after });
      after = c.op;
      current = [];
    }
  }
  if (current.length) groups.push({ commands: current, after });
  return groups;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function statusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 0);
}

/**
 * A pipe(2) equivalent: a FIFO opened for reading (non-blocking, so the open returns), then for
 * writing, then for reading again blocking (a writer now exists, so it returns at once); the
 * non-blocking end is closed and the FIFO unlinked. Both ends are plain blocking pipe fds.
 */
function makePipe(): { read: number; write: number } {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-pipe-'));
  try {
    const fifo = join(dir, 'p');
    let mk = spawnSync('/usr/bin/mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
    if (mk.error) mk = spawnSync('/bin/mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
    if (mk.status !== 0) throw new Error(`cannot make a pipe: mkfifo failed (${mk.error?.message ?? `exit ${mk.status}`})`);
    const probe = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const write = openSync(fifo, fsc.O_WRONLY);
    const read = openSync(fifo, fsc.O_RDONLY);
    closeSync(probe);
    return { read, write };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPlan(plan: RunPlan, launcher: Launcher = hostLauncher): Promise<RunResult> {
  const started = performance.now();
  const evidence: CommandEvidence[] = [];
  const live = new Set<ChildProcess>();
  let timedOut = false;
  let aborted = false;
  let remaining = plan.maxOutputChars;
  let toTell = plan.maxOutputChars;
  /** A listener for one stream of one process: decodes, and tells the plan's listener within its cap. */
  const teller = (stream: 'stdout' | 'stderr'): ((b: Buffer) => void) | null => {
    const on = plan.onOutput;
    if (!on) return null;
    const decoder = new StringDecoder('utf8');
    return (b) => {
      const text = decoder.write(b);
      if (text === '' || toTell <= 0) return;
      const told = text.length <= toTell ? text : text.slice(0, toTell);
      toTell -= told.length;
      on(stream, told);
    };
  };
  const grace = plan.killGraceMs ?? 2000;

  const stopAll = () => {
    for (const c of live) killGroup(c.pid, 'SIGTERM');
    const t = setTimeout(() => {
      for (const c of live) killGroup(c.pid, 'SIGKILL');
    }, grace);
    t.unref();
  };
  const timer = setTimeout(
    () => {
      timedOut = true;
      stopAll();
    },
    Math.max(0, plan.timeoutMs),
  );
  const onAbort = () => {
    aborted = true;
    stopAll();
  };
  if (plan.signal?.aborted) aborted = true;
  plan.signal?.addEventListener('abort', onAbort, { once: true });

  let status = 0;
  try {
    for (const g of pipelines(plan.commands)) {
      if (timedOut || aborted) break;
      if (g.after === '&&' && status !== 0) continue;
      if (g.after === '||' && status === 0) continue;
      status = await runPipeline(g.commands);
    }
  } finally {
    clearTimeout(timer);
    plan.signal?.removeEventListener('abort', onAbort);
  }
  return {
    evidence,
    exitCode: timedOut ? 124 : status,
    timedOut,
    aborted,
    durationMs: Math.round(performance.now() - started),
  };

  async function runPipeline(commands: PlannedCommand[]): Promise<number> {
    const entries: Promise<CommandEvidence>[] = [];
    const fds: number[] = [];
    let upstream: number | null = null;
    try {
      for (let i = 0; i < commands.length; i++) {
        const cmd = commands[i] as PlannedCommand;
        const last = i === commands.length - 1;
        const pipe = last ? null : makePipe();
        if (pipe) fds.push(pipe.read, pipe.write);
        entries.push(startOne(cmd, upstream, pipe?.write ?? null));
        upstream = pipe?.read ?? null;
      }
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    const results = await Promise.all(entries);
    fitBudget(results, remaining);
    for (const e of results) {
      evidence.push(e);
      remaining = Math.max(0, remaining - keptChars(e));
    }
    const tail = results[results.length - 1] as CommandEvidence;
    return tail.returncode ?? 1;
  }

  /** Starts one member; `stdin`/`stdout` are pipe ends for pipeline members (null: /dev/null, capture). */
  function startOne(cmd: PlannedCommand, stdin: number | null, stdout: number | null): Promise<CommandEvidence> {
    const last = stdout === null;
    const capture = new OutputCapture(Math.max(0, remaining), 0);
    const t0 = performance.now();
    const base = { argv: cmd.argv, file: cmd.file, piped: !last };
    if (timedOut || aborted) {
      const error = timedOut ? 'not started: time was up' : 'not started: aborted';
      return Promise.resolve({ ...emptyEvidence(base), timed_out: timedOut, error });
    }
    if (!cmd.file.startsWith('/')) {
      // Never a PATH lookup here: an executable the decision could not resolve does not run.
      return Promise.resolve({ ...emptyEvidence(base), returncode: 127, error: `not found: \`${cmd.argv[0]}\` did not resolve to a file on the policy PATH` });
    }
    const spec = launcher.launch(cmd, { cwd: plan.cwd, env: plan.env });
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.args, {
        argv0: spec.argv0,
        cwd: spec.cwd,
        env: spec.env,
        stdio: [stdin ?? 'ignore', stdout ?? 'pipe', 'pipe', ...(spec.extraFds ?? [])],
        detached: true,
      });
    } catch (e) {
      return Promise.resolve({ ...emptyEvidence(base), returncode: 126, error: (e as Error).message });
    } finally {
      spec.release?.();
    }
    const tellOut = last ? teller('stdout') : null;
    const tellErr = teller('stderr');
    if (last)
      child.stdout?.on('data', (b: Buffer) => {
        capture.push('stdout', b);
        tellOut?.(b);
      });
    child.stderr?.on('data', (b: Buffer) => {
      capture.push('stderr', b);
      tellErr?.(b);
    });

    let spawnError: NodeJS.ErrnoException | undefined;
    const result = new Promise<CommandEvidence>((resolve) => {
      let code: number | null = null;
      let signal: NodeJS.Signals | null = null;
      child.once('error', (e: NodeJS.ErrnoException) => {
        spawnError = e;
      });
      child.once('exit', (c, s) => {
        code = c;
        signal = s;
        // Whatever the command left running in its group goes with it.
        killGroup(child.pid, 'SIGKILL');
      });
      child.once('close', (c: number | null, s: NodeJS.Signals | null) => {
        code ??= c;
        signal ??= s;
        const out = capture.result();
        const failedToStart = spawnError !== undefined && child.pid === undefined;
        resolve({
          ...base,
          returncode: failedToStart ? (spawnError?.code === 'ENOENT' ? 127 : 126) : statusOf(code, signal),
          timed_out: timedOut,
          duration_ms: Math.round(performance.now() - t0),
          stdout: last ? out.stdout : '',
          stderr: out.stderr,
          stdout_bytes: last ? out.stdout_bytes : 0,
          stderr_bytes: out.stderr_bytes,
          stdout_truncated: out.stdout_truncated,
          stderr_truncated: out.stderr_truncated,
          signal: failedToStart ? null : signal,
          ...(spawnError ? { error: `${spawnError.code ?? 'error'}: ${spawnError.message}` } : {}),
        });
      });
    });
    live.add(child);
    if (timedOut || aborted) killGroup(child.pid, 'SIGTERM');
    return result.finally(() => live.delete(child));
  }
}

function emptyEvidence(base: { argv: string[]; file: string; piped: boolean }): CommandEvidence {
  return {
    ...base,
    returncode: null,
    timed_out: false,
    duration_ms: 0,
    stdout: '',
    stderr: '',
    stdout_bytes: 0,
    stderr_bytes: 0,
    stdout_truncated: false,
    stderr_truncated: false,
    signal: null,
  };
}

/**
 * Members of one pipeline run at the same time, each captured against what was left; if together
 * they kept more, trim — upstream stderr first, the pipeline's own output (the last member) last.
 */
function fitBudget(results: CommandEvidence[], budget: number): void {
  let total = results.reduce((n, r) => n + keptChars(r), 0);
  if (total <= budget) return;
  const last = results[results.length - 1] as CommandEvidence;
  const order: [CommandEvidence, 'stdout' | 'stderr'][] = [
    ...results.slice(0, -1).map((r) => [r, 'stderr'] as [CommandEvidence, 'stderr']),
    [last, 'stderr'],
    [last, 'stdout'],
  ];
  for (const [r, k] of order) {
    const excess = total - budget;
    if (excess <= 0) break;
    const text = content(r, k);
    const cut = Math.min(excess, text.length);
    if (cut === 0) continue;
    r[k] = `${text.slice(0, text.length - cut)}\n${TRUNCATION_MARK}`;
    r[`${k}_truncated`] = true;
    total -= cut;
  }
}

/** The captured text without the truncation mark. */
function content(r: CommandEvidence, k: 'stdout' | 'stderr'): string {
  const mark = `\n${TRUNCATION_MARK}`;
  return r[`${k}_truncated`] && r[k].endsWith(mark) ? r[k].slice(0, -mark.length) : r[k];
}

export function keptChars(r: CommandEvidence): number {
  return content(r, 'stdout').length + content(r, 'stderr').length;
}
