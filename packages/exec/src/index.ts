/**
 * @openclaw/exec — the exec plane (SPEC §5): stores, the ledger, the runner, the governed `exec run`,
 * jobs and the worker, and the operational pieces. This file is the package's deliberate public API.
 */

export { type Allowlists, loadAllowlists } from './jobs/allowlists.js';
export { BudgetExceeded, type BudgetLimits, budgetLimits, JobBudget } from './jobs/budget.js';
export { type Checkout, checkoutRepo, type RepoCheckout } from './jobs/checkout.js';
export { enqueueJob, newJobFromRequest } from './jobs/enqueue.js';
export type { HandlerRegistry, JobContext, JobHandler, JobOutcome } from './jobs/handler.js';
export { builtinHandlers } from './jobs/handlers/index.js';
export { type Checkpoint, loadOrCreateLedgerKey, readCheckpoint, readPublicKey, signCheckpoint } from './ledger/checkpoint.js';
export {
  type Actor,
  canonicalJson,
  GENESIS_PREV,
  LEDGER_EVENT_TYPES,
  type LedgerEvent,
  type LedgerHead,
  type LedgerRecord,
  recordLine,
  type StoredRecord,
  sealRecord,
} from './ledger/record.js';
export { ChainChecker, type LedgerProblem, type VerifyReport, verifyJsonl, verifyRecords } from './ledger/verify.js';
export { collectHealth, type HealthReport } from './ops/health.js';
export { DEFAULT_MODEL_API_BASE, type ModelProbe, probeModel } from './ops/model-probe.js';
export { fallbackWorker, renderUnit, startFallbackWorker, stopFallbackWorker, UNIT_NAME, unitDir, userBus } from './ops/service.js';
export { type ApprovalAnswer, type ApprovalRequest, type AskHooks, type HumanApprover, unreachableApprover } from './run/approver.js';
export { type EndpointApproverOptions, endpointApprover } from './run/endpoint-approver.js';
export { governedRun, type RunDeps, type RunOutcome, type RunRequest } from './run/governed-run.js';
export { hostLauncher } from './runner/host.js';
export { runPlan } from './runner/run-plan.js';
export type { CommandEvidence, Launcher, LaunchSpec, PlannedCommand, RunPlan, RunResult } from './runner/types.js';
export { bwrapLauncher, defaultHiddenPaths, probeBwrap, type SandboxBind, type SandboxWeakening } from './sandbox/bwrap.js';
export { dockerLauncher, probeDockerEngine } from './sandbox/docker.js';
export { DENIED_SYSCALLS, seccompProgram, seccompSha256 } from './sandbox/seccomp.js';
export { type SandboxChoice, type SandboxRequest, sandboxLauncher } from './sandbox/select.js';
export { type ExecPaths, ensurePrivateDir, execPaths } from './state/paths.js';
export { openStore, type StoreTarget, storeTarget } from './store/open.js';
export type { ExecStore, JobCounts, JobRecord, JobState, KillSwitchState, NewJob, WorkerInfo } from './store/types.js';
export { type JobReport, Worker, type WorkerEvent, type WorkerOptions, type WorkerRuntime, type WorkerSummary } from './worker/worker.js';
