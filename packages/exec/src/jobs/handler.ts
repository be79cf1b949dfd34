/**
 * Job handlers, registered by job type. The worker gives a handler its context — the validated job,
 * an abort signal (runtime budget, cancel, lost lease, shutdown), the budget, its artifact
 * directory, the repo checkout and a runner recorded in the ledger — and records what it returns.
 * Issue 5 registers more types (agent_task, review_bundle_task, doctor_task) the same way.
 */
import type { ExecutableResolution, ValidatedJob } from '@openclaw/policy';
import type { PlannedCommand, RunResult } from '../runner/types.js';
import type { JobRecord } from '../store/types.js';
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
  /** Runs commands where the job spec says (sandbox or gateway), recording exec.started/finished. */
  runCommands(commands: PlannedCommand[], opts: { cwd: string }): Promise<RunResult>;
  progress(line: string): void;
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
