/**
 * Running one claimed job: revalidate it against the current allowlists (fail closed when its type
 * or parameters are no longer allowed), give its handler a context, keep the lease alive with
 * heartbeats, enforce the runtime budget, and record how it ended — completed, failed, timed_out —
 * or hand it back (shutdown) or drop it (cancelled, lease lost: someone else owns it now).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildChildEnv, type CompiledPolicy, resolveExecutable, type SandboxStatus, type ValidatedJob, validateJobRequest } from '@openclaw/policy';
import type { McpSettings } from '../agent/mcporter.js';
import type { ModelSettings } from '../agent/model-client.js';
import type { Allowlists } from '../jobs/allowlists.js';
import { BudgetExceeded, budgetLimits, JobBudget } from '../jobs/budget.js';
import type { Checkout, CheckoutInvariants, RepoCheckout } from '../jobs/checkout.js';
import type { HandlerRegistry, JobContext, JobOutcome, RunCommandsOptions } from '../jobs/handler.js';
import type { Actor } from '../ledger/record.js';
import { hostLauncher } from '../runner/host.js';
import { ledgerEvidence } from '../runner/ledger-evidence.js';
import { keptChars, runPlan } from '../runner/run-plan.js';
import type { Launcher, PlannedCommand, RunResult } from '../runner/types.js';
import type { SandboxBind } from '../sandbox/bwrap.js';
import { sandboxLauncher } from '../sandbox/select.js';
import { ensurePrivateDir } from '../state/paths.js';
import type { ExecStore, FinishOutcome, JobLease, JobRecord, LeaseStatus } from '../store/types.js';

export interface WorkerRuntime {
  /** The policy's PATH (tools.exec.path). */
  pathDirs: readonly string[];
  sandbox: SandboxStatus;
  /** `sandbox.image` (docker). */
  sandboxImage?: string | undefined;
  openclawHome: string;
  artifactsDir: string;
  mirrorsDir: string;
  userHome: string;
  checkout: RepoCheckout;
  /** The policy agent_task's run_command tool decides through (none: the tool is refused). */
  policy?: CompiledPolicy;
  /** The agent's workspace for read_file/list_dir/run_command (default: its artifact directory). */
  agentWorkspace?: string | undefined;
  /** The model endpoint (agent_task). */
  model?: ModelSettings;
  /** MCPorter (agent_task's MCP tools). */
  mcp?: McpSettings;
  /** The openclaw CLI to run doctor_task / review_bundle_task with: [node, entry]. */
  cli?: string[];
}

export type AbortReason = 'timeout' | 'cancelled' | 'lost' | 'shutdown';

export interface JobReport {
  id: string;
  type: string;
  /** How it ended from this worker's point of view. */
  state: 'completed' | 'failed' | 'timed_out' | 'cancelled' | 'lost' | 'requeued';
  error?: string;
  /** Null when the job wrote no artifacts. */
  artifactDir: string | null;
}

export interface RunningJob {
  job: JobRecord;
  lease: JobLease;
  abort(reason: AbortReason): void;
  done: Promise<JobReport>;
}

export interface JobRunnerDeps {
  store: ExecStore;
  actor: Actor;
  allowlists: Pick<Allowlists, 'jobs' | 'repos'>;
  handlers: HandlerRegistry;
  runtime: WorkerRuntime;
  leaseSec: number;
  heartbeatSec: number;
  log: (line: string) => void;
  /** Retries a store write until it answers (the store may be restarting). */
  persist: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  /** Records the job's end (retried like `persist`); the worker may claim its next job in the same write. */
  finish?: (lease: JobLease, outcome: FinishOutcome) => Promise<LeaseStatus>;
}

const ensuredArtifactRoots = new Set<string>();

export function startJob(job: JobRecord, deps: JobRunnerDeps): RunningJob {
  const lease: JobLease = { jobId: job.id, leaseId: job.lease?.id ?? '' };
  const ctrl = new AbortController();
  let reason: AbortReason | undefined;
  // Rejects the race against the handler when the job is aborted (set while the handler runs).
  const aborted: { reject?: ((e: Error) => void) | undefined } = {};
  const abort = (r: AbortReason) => {
    if (reason) return;
    reason = r;
    ctrl.abort(r);
    aborted.reject?.(new Error(`aborted: ${r}`));
  };
  const done = runJob(job, lease, ctrl.signal, () => reason, abort, aborted, deps);
  return { job, lease, abort, done };
}

async function runJob(
  job: JobRecord,
  lease: JobLease,
  signal: AbortSignal,
  abortReason: () => AbortReason | undefined,
  abort: (r: AbortReason) => void,
  aborted: { reject?: ((e: Error) => void) | undefined },
  deps: JobRunnerDeps,
): Promise<JobReport> {
  const { store, actor, runtime } = deps;
  // Formatted only for artifact.json (most jobs write none).
  const startedMs = Date.now();
  // Made on first use: a job that writes nothing has no artifact directory (its evidence is the
  // job row and the ledger); one that does also gets artifact.json.
  let artifactDir = '';
  let artifactsMade = false;
  const useArtifactDir = () => {
    if (!artifactsMade) {
      artifactDir = join(runtime.artifactsDir, job.id);
      if (!ensuredArtifactRoots.has(runtime.artifactsDir)) {
        ensurePrivateDir(runtime.artifactsDir);
        ensuredArtifactRoots.add(runtime.artifactsDir);
      }
      ensurePrivateDir(artifactDir);
      artifactsMade = true;
    }
    return artifactDir;
  };
  let runtimeLimitSec = job.timeoutSec;
  const report = (state: JobReport['state'], error?: string): JobReport => ({
    id: job.id,
    type: job.type,
    state,
    ...(error ? { error } : {}),
    artifactDir: artifactsMade ? artifactDir : null,
  });

  let validated: ValidatedJob;
  try {
    validated = validateJobRequest(deps.allowlists.jobs, deps.allowlists.repos, {
      type: job.type,
      params: job.params,
      repo: job.repo ?? undefined,
      ref: job.ref ?? undefined,
    });
  } catch (e) {
    const error = `job_not_allowed: ${(e as Error).message}`;
    return settle({ state: 'failed', error, result: { code: (e as { code?: string }).code ?? 'job_not_allowed' } });
  }
  const handler = deps.handlers.get(job.type);
  if (!handler) return settle({ state: 'failed', error: `no handler for job type ${job.type} in this worker`, result: { code: 'no_handler' } });

  const limits = budgetLimits(validated.spec.budget, job.timeoutSec);
  runtimeLimitSec = limits.maxRuntimeSec;
  const budget = new JobBudget(limits);
  const deadline = Date.now() + limits.maxRuntimeSec * 1000;
  // The runtime timer and the lease heartbeat are armed once the handler has yielded to the event
  // loop (one immediate instead of two timers for a job that finishes at once); the timer still
  // fires at `deadline`.
  let runtimeTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const arm = setImmediate(() => {
    runtimeTimer = setTimeout(() => abort('timeout'), Math.max(0, deadline - Date.now()));
    heartbeat = setInterval(beat, deps.heartbeatSec * 1000);
  });
  let beating = false;
  const beat = async () => {
    if (beating || signal.aborted) return;
    beating = true;
    try {
      const status: LeaseStatus = await store.heartbeat(lease, actor, deps.leaseSec);
      if (status === 'cancelled') abort('cancelled');
      else if (status === 'lost') abort('lost');
    } catch (e) {
      deps.log(`job ${job.id}: heartbeat failed (${(e as Error).message}); retrying`);
    } finally {
      beating = false;
    }
  };

  let checkout: Promise<Checkout> | undefined;
  const ctx: JobContext = {
    job,
    validated,
    signal,
    budget,
    get artifactDir() {
      return useArtifactDir();
    },
    checkout: () => {
      if (!validated.repo || !validated.ref) return Promise.reject(new Error(`job type ${job.type} has no repository`));
      checkout ??= runtime.checkout(validated.repo, validated.ref, { mirrorsDir: runtime.mirrorsDir, signal });
      return checkout;
    },
    resolveExecutable: (name, cwd) => resolveExecutable(name, cwd, runtime.pathDirs),
    runCommands: (commands, opts) => runRecorded(commands, opts),
    record: (type, data) => deps.persist(type, () => store.append([{ type, jobId: job.id, data }], actor)).then(() => undefined),
    runtime,
    progress: (line) => deps.log(`job ${job.id}: ${line}`),
  };

  async function runRecorded(commands: PlannedCommand[], opts: RunCommandsOptions): Promise<RunResult> {
    const { cwd } = opts;
    // A repo job sees its worktree read-only and writes only to ARTIFACT_DIR; other jobs get their
    // cwd (or the workspace they name) writable.
    const co = checkout ? await checkout : null;
    const tree = co?.dir ?? null;
    const inTree = tree !== null && (cwd === tree || cwd.startsWith(`${tree}/`));
    const treeBinds: SandboxBind[] =
      co && inTree
        ? [
            { path: co.dir, writable: false },
            { path: co.objects, writable: false },
            { path: useArtifactDir(), writable: true },
          ]
        : [];
    const binds: SandboxBind[] = [...treeBinds, ...(opts.binds ?? [])];
    const host = opts.host ?? validated.spec.host;
    const launcher = jobLauncher(host, runtime, inTree ? null : (opts.workspace ?? cwd), binds);
    // Inside the sandbox the real home is read-only: test runners that write caches get the private /tmp.
    const sandboxed = launcher.name !== 'host';
    const base = buildChildEnv(undefined, { path: runtime.pathDirs, home: sandboxed ? '/tmp' : runtime.userHome });
    // Parameters reach a job's commands as env only (names OPENCLAW_PARAM_<NAME>), never through a shell.
    const env: Record<string, string> = {
      ...(base.ok ? base.env : {}),
      ...paramEnv(validated.params),
      ...(inTree || opts.artifactEnv ? { ARTIFACT_DIR: useArtifactDir() } : {}),
      ...(opts.env ?? {}),
    };
    await deps.persist('exec.started', () =>
      store.append(
        [
          {
            type: 'exec.started',
            jobId: job.id,
            data: { argv: commands.map((c) => c.argv), files: commands.map((c) => c.file), cwd, launcher: launcher.name, env_keys: Object.keys(env).sort() },
          },
        ],
        actor,
      ),
    );
    const result = await runPlan({ commands, cwd, env, timeoutMs: Math.max(0, deadline - Date.now()), maxOutputChars: budget.outputLeft(), signal }, launcher);
    for (const e of result.evidence) budget.output(keptChars(e));
    await deps.persist('exec.finished', () =>
      store.append(
        [
          {
            type: 'exec.finished',
            jobId: job.id,
            data: { exit_code: result.exitCode, timed_out: result.timedOut, duration_ms: result.durationMs, evidence: result.evidence.map(ledgerEvidence) },
          },
        ],
        actor,
      ),
    );
    return result;
  }

  let outcome: JobOutcome;
  try {
    outcome = await new Promise<JobOutcome>((resolve, reject) => {
      if (signal.aborted) reject(new Error(`aborted: ${String(signal.reason)}`));
      else aborted.reject = reject;
      handler(ctx).then(resolve, reject);
    });
  } catch (e) {
    outcome =
      e instanceof BudgetExceeded
        ? { state: 'failed', error: e.message, result: { code: 'budget_exceeded', resource: e.resource } }
        : {
            state: 'failed',
            error: (e as { reason?: string }).reason ?? (e as Error).message,
            result: { code: (e as { code?: string }).code ?? 'handler_error' },
          };
  } finally {
    aborted.reject = undefined;
    clearImmediate(arm);
    clearTimeout(runtimeTimer);
    clearInterval(heartbeat);
  }
  // The executor's invariants: the worktree is as it was checked out, and still read-only.
  let invariants: CheckoutInvariants | null = null;
  let mutation = false;
  if (checkout) {
    const co = await checkout.catch(() => null);
    if (co) {
      invariants = await co
        .verify()
        .catch((e: Error) => ({ read_only_ok: false, clean_tree_ok: false, changed: [`<git status failed: ${e.message}>`], writable: [] }));
      await co.cleanup().catch(() => {});
      if (!invariants.clean_tree_ok || !invariants.read_only_ok) {
        mutation = true;
        useArtifactDir();
        const what = [...invariants.changed, ...invariants.writable.map((p) => `writable: ${p}`)];
        outcome = {
          ...outcome,
          state: 'failed',
          error: `MUTATION_DETECTED: the job changed its read-only worktree (${what.slice(0, 20).join('; ')}${what.length > 20 ? '; …' : ''})`,
          result: { ...outcome.result, code: 'MUTATION_DETECTED', changed_files: invariants.changed, writable_paths: invariants.writable },
        };
      }
    }
  }
  return settle(outcome);

  async function settle(outcome: JobOutcome): Promise<JobReport> {
    const why = abortReason();
    const finishedMs = Date.now();
    const write = (status: string, error: string | undefined) =>
      artifactsMade &&
      writeFileSync(
        join(artifactDir, 'artifact.json'),
        `${JSON.stringify(
          {
            job_id: job.id,
            type: job.type,
            status: mutation ? 'MUTATION_DETECTED' : status,
            ...(typeof outcome.result.exit_code === 'number' ? { exit_code: outcome.result.exit_code } : {}),
            params: job.params,
            repo: job.repo,
            ref: job.ref,
            attempt: job.attempts,
            worker_id: actor.workerId,
            host: actor.host,
            started_at: new Date(startedMs).toISOString(),
            finished_at: new Date(finishedMs).toISOString(),
            outputs: outcome.outputs ?? [],
            warnings: outcome.warnings ?? [],
            invariants: invariants
              ? { read_only_ok: invariants.read_only_ok, clean_tree_ok: invariants.clean_tree_ok }
              : { read_only_ok: null, clean_tree_ok: null },
            ...(mutation && invariants ? { changed_files: invariants.changed } : {}),
            error: error ?? null,
            result: outcome.result,
          },
          null,
          1,
        )}\n`,
      );
    if (why === 'cancelled' || why === 'lost') {
      write(why, outcome.error);
      return report(why === 'cancelled' ? 'cancelled' : 'lost');
    }
    if (why === 'shutdown') {
      const status = await deps.persist('requeue', () => store.release(lease, actor, 'worker_shutdown'));
      write('requeued', 'worker shut down before the job finished');
      return report(status === 'ok' ? 'requeued' : status === 'cancelled' ? 'cancelled' : 'lost');
    }
    const fin: FinishOutcome =
      why === 'timeout'
        ? { state: 'timed_out', error: `runtime budget of ${runtimeLimitSec} s exceeded`, result: outcome.result }
        : {
            state: outcome.state,
            result: { ...outcome.result, ...(artifactsMade ? { artifact_dir: artifactDir } : {}) },
            ...(outcome.error ? { error: outcome.error } : {}),
          };
    write(fin.state, fin.error);
    const status = deps.finish ? await deps.finish(lease, fin) : await deps.persist('finish', () => store.finish(lease, actor, fin));
    if (status === 'ok') return report(fin.state, fin.error);
    return report(status === 'cancelled' ? 'cancelled' : 'lost');
  }
}

function jobLauncher(host: string | undefined, runtime: WorkerRuntime, workspace: string | null, binds: SandboxBind[] = []): Launcher {
  if (host === 'gateway') return hostLauncher;
  const choice = sandboxLauncher({
    status: runtime.sandbox,
    openclawHome: runtime.openclawHome,
    workspace,
    binds,
    image: runtime.sandboxImage,
    env: { HOME: runtime.userHome },
  });
  if (!choice.ok) throw Object.assign(new Error(choice.reason.message), { code: choice.reason.code, reason: choice.reason.message });
  return choice.launcher;
}

/** `OPENCLAW_PARAM_<NAME>` for each validated parameter (the allowlist already admitted only its own). */
export function paramEnv(params: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null) env[`OPENCLAW_PARAM_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = String(v);
  return env;
}
