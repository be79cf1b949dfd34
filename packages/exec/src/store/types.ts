/**
 * The store interface (SPEC §5): job state and the ledger, behind one interface with two
 * implementations — embedded SQLite (`node:sqlite`) and Postgres (`pg`). Every method that changes a
 * job writes its ledger event(s) in the same transaction, so the ledger never disagrees with the
 * queue. Claims are race-free across processes and hosts (SQLite: BEGIN IMMEDIATE; Postgres:
 * FOR UPDATE SKIP LOCKED, with the ledger head row locked while an event is appended).
 *
 * Lease times are milliseconds on the store's clock (Postgres: the server's), so workers on hosts
 * with skewed clocks agree on when a lease expired.
 */
import type { ParamValue } from '@openclaw/policy';
import type { Actor, LedgerEvent, LedgerHead, StoredRecord } from '../ledger/record.js';

export const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'timed_out', 'cancelled', 'dead'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'timed_out', 'cancelled', 'dead']);

export interface NewJob {
  type: string;
  params: Record<string, ParamValue>;
  repo?: string | undefined;
  ref?: string | undefined;
  maxAttempts: number;
  timeoutSec: number;
}

export interface Lease {
  id: string;
  owner: string;
  host: string;
  expiresMs: number;
}

export interface JobRecord {
  id: string;
  type: string;
  params: Record<string, ParamValue>;
  repo: string | null;
  ref: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  timeoutSec: number;
  createdAt: string;
  updatedAt: string;
  lease: Lease | null;
  result: unknown;
  error: string | null;
}

/** What a worker holds while it runs a job: the lease it was given. */
export interface JobLease {
  jobId: string;
  leaseId: string;
}

export interface ClaimResult {
  jobs: JobRecord[];
  /** The kill switch was on: nothing was claimed. */
  killSwitch: boolean;
}

export type FinishState = 'completed' | 'failed' | 'timed_out';

export interface FinishOutcome {
  state: FinishState;
  result?: unknown;
  error?: string | undefined;
}

/** The answer to a heartbeat or finish: `lost` when the lease expired and was taken, `cancelled` when cancelled. */
export type LeaseStatus = 'ok' | 'lost' | 'cancelled';

export interface ReapedJob {
  jobId: string;
  state: 'queued' | 'dead';
  attempts: number;
}

export interface KillSwitchState {
  on: boolean;
  reason: string | null;
  by: string | null;
  updatedAt: string | null;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  lastSeen: string;
  state: 'idle' | 'busy' | 'stopping' | 'stopped';
  running: number;
  concurrency: number;
}

export type JobCounts = Record<JobState, number>;

export interface ClaimOptions {
  leaseSec: number;
  types: readonly string[];
  limit?: number;
}

export interface ExecStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store is, safe to print (no password). */
  readonly location: string;

  enqueue(jobs: readonly NewJob[], actor: Actor): Promise<JobRecord[]>;
  /** Claims up to `limit` (default 1) queued jobs of `types`, oldest first, unless the kill switch is on. */
  claim(actor: Actor, opts: ClaimOptions): Promise<ClaimResult>;
  /** Extends the lease and records a heartbeat event. */
  heartbeat(lease: JobLease, actor: Actor, leaseSec: number, data?: Record<string, unknown>): Promise<LeaseStatus>;
  /** Ends a running job; idempotent for the same lease (a retried commit answers `ok`). */
  finish(lease: JobLease, actor: Actor, outcome: FinishOutcome): Promise<LeaseStatus>;
  /**
   * Optional: `finish`, then `claim` for the worker's next jobs, committed together (a store where
   * that saves a transaction has it). The finish is recorded whatever the claim finds.
   */
  finishAndClaim?(lease: JobLease, actor: Actor, outcome: FinishOutcome, next: ClaimOptions): Promise<{ status: LeaseStatus; next: ClaimResult }>;
  /** Puts a running job back in the queue without counting the attempt (worker shutdown). */
  release(lease: JobLease, actor: Actor, reason: string): Promise<LeaseStatus>;
  /** Cancels a queued or running job; returns the job as it is afterwards, or null when unknown. */
  cancel(jobId: string, actor: Actor, reason: string): Promise<JobRecord | null>;
  /** Requeues running jobs whose lease expired (dead after max attempts). */
  reapExpired(actor: Actor, limit?: number): Promise<ReapedJob[]>;

  /** Appends events that change no job (exec.*, approval.*); returns the new head. */
  append(events: readonly LedgerEvent[], actor: Actor): Promise<LedgerHead>;

  setKillSwitch(on: boolean, actor: Actor, reason: string | null): Promise<KillSwitchState>;
  killSwitch(): Promise<KillSwitchState>;

  /** Registers or refreshes a worker; with `event`, also records a heartbeat event (idle heartbeats). */
  workerHeartbeat(info: Omit<WorkerInfo, 'lastSeen' | 'startedAt'> & { startedAt?: string }, actor: Actor, event?: Record<string, unknown>): Promise<void>;
  workers(): Promise<WorkerInfo[]>;

  getJob(id: string): Promise<JobRecord | null>;
  listJobs(opts?: { states?: readonly JobState[]; limit?: number }): Promise<JobRecord[]>;
  jobCounts(): Promise<JobCounts>;

  ledgerHead(): Promise<LedgerHead | null>;
  /** Records with seq > `afterSeq`, in seq order, at most `limit`. */
  readLedger(afterSeq: number, limit: number): Promise<StoredRecord[]>;
  /** Every record in seq order, in pages. */
  ledgerPages(pageSize?: number): AsyncIterable<StoredRecord[]>;
  /** Records with the given job id, in seq order. */
  jobEvents(jobId: string): Promise<StoredRecord[]>;

  close(): Promise<void>;
}

export function emptyCounts(): JobCounts {
  return { queued: 0, running: 0, completed: 0, failed: 0, timed_out: 0, cancelled: 0, dead: 0 };
}

export function newJobId(): string {
  // Time-ordered and unique across hosts: milliseconds in base 36, then 64 random bits (16 hex
  // digits). The bits are a random UUID's (Node hands those out of a buffered pool: one
  // getRandomValues call per job cost ~5 µs); of its form xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx the
  // first 12 and the last 4 digits are random.
  const u = crypto.randomUUID();
  return `j_${Date.now().toString(36)}${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(32, 36)}`;
}

export function newLeaseId(): string {
  return crypto.randomUUID();
}
