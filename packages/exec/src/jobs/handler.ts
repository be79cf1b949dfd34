/**
 * Job handlers, registered by job type. The worker gives a handler its context — the validated job,
 * an abort signal (runtime budget, cancel, lost lease, shutdown), the budget, its artifact
 * directory, the repo checkout and a runner recorded in the ledger — and records what it returns.
 */
import type { ExecutableResolution, ValidatedJob } from '@openclaw/policy';
import type { PlannedCommand, RunResult } from '../runner/types.js';
import type { SandboxBind } from '../sandbox/bwrap.js';
import type { JobRecord } from '../store/types.js';
import type { WorkerRuntime } from '../worker/run-job.js';
import type { JobBudget } from './budget.js';
import type { Checkout } from './checkout.js';

export interface JobContext {
  job: JobRecord;
  validated: ValidatedJob;
  signal: AbortSignal;
  budget: JobBudget;
  /** `$OPENCLAW_HOME/artifacts/<job id>/`, created 0700 on first use (then artifact.json is written too). */
  readonly artifactDir: string;
  /** The job's repo at its pinned SHA (cached; removed by the worker when the job ends). */
  checkout(): Promise<Checkout>;
  /** Resolves an executable through the policy's PATH. */
  resolveExecutable(name: string, cwd: string): ExecutableResolution;
  /**
   * Runs commands where the job spec says (sandbox or gateway), recording exec.started/finished. A
   * cwd inside the repo worktree runs with the worktree read-only and ARTIFACT_DIR writable; every
   * command gets the job's parameters as `OPENCLAW_PARAM_<NAME>` env vars.
   */
  runCommands(commands: PlannedCommand[], opts: RunCommandsOptions): Promise<RunResult>;
  /** Appends a ledger event for this job. */
  record(type: string, data: Record<string, unknown>): Promise<void>;
  readonly runtime: WorkerRuntime;
  progress(line: string): void;
}

export interface RunCommandsOptions {
  cwd: string;
  /** Overrides the job spec's host. */
  host?: 'sandbox' | 'gateway' | undefined;
  /** Writable workspace in the sandbox (default: the cwd, unless it is in the worktree). */
  workspace?: string | undefined;
  /** More sandbox binds (e.g. the openclaw install, read-only). */
  binds?: SandboxBind[];
  /** More env for the commands. */
  env?: Record<string, string>;
  /** Give ARTIFACT_DIR even outside a worktree. */
  artifactEnv?: boolean;
}

export interface JobOutcome {
  state: 'completed' | 'failed';
  /** Summary kept in the job row and the ledger (keep it small: files go to the artifact dir). */
  result: Record<string, unknown>;
  error?: string;
  /** Files written to the artifact dir (names relative to it). */
  outputs?: string[];
  warnings?: string[];
}

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;
export type HandlerRegistry = ReadonlyMap<string, JobHandler>;
