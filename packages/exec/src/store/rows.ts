/** Row mapping and event shapes shared by both stores, so they record the same things. */
import type { LedgerEvent } from '../ledger/record.js';
import type { FinishOutcome, JobRecord, JobState, KillSwitchState, WorkerInfo } from './types.js';

export interface JobRow {
  id: string;
  type: string;
  params: string;
  repo: string | null;
  ref: string | null;
  state: JobState;
  attempts: number;
  max_attempts: number;
  timeout_sec: number;
  created_at: string;
  updated_at: string;
  lease_id: string | null;
  lease_owner: string | null;
  lease_host: string | null;
  lease_expires_ms: number | null;
  result: string | null;
  error: string | null;
}

export function jobFromRow(r: JobRow): JobRecord {
  return {
    id: r.id,
    type: r.type,
    params: JSON.parse(r.params),
    repo: r.repo,
    ref: r.ref,
    state: r.state,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    timeoutSec: Number(r.timeout_sec),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lease:
      r.lease_id !== null && r.state === 'running'
        ? { id: r.lease_id, owner: r.lease_owner ?? '', host: r.lease_host ?? '', expiresMs: Number(r.lease_expires_ms) }
        : null,
    result: r.result === null ? null : JSON.parse(r.result),
    error: r.error,
  };
}

export function finishEvent(jobId: string, attempts: number, outcome: FinishOutcome): LedgerEvent {
  return outcome.state === 'completed'
    ? { type: 'complete', jobId, data: { attempt: attempts, ...(outcome.result !== undefined ? { result: outcome.result } : {}) } }
    : {
        type: 'fail',
        jobId,
        data: { state: outcome.state, attempt: attempts, error: outcome.error ?? null, ...(outcome.result !== undefined ? { result: outcome.result } : {}) },
      };
}

export function reapEvent(jobId: string, dead: boolean, attempts: number, owner: string | null): LedgerEvent {
  return dead
    ? { type: 'fail', jobId, data: { state: 'dead', reason: 'lease_expired', attempts, previous_owner: owner } }
    : { type: 'requeue', jobId, data: { reason: 'lease_expired', attempts, previous_owner: owner } };
}

export function parseKillSwitch(r: { value: string; by: string | null; updated_at: string | Date } | undefined): KillSwitchState {
  if (!r) return { on: false, reason: null, by: null, updatedAt: null };
  let v: { on?: unknown; reason?: unknown };
  try {
    v = JSON.parse(r.value);
  } catch {
    // An unreadable switch is on: fail closed.
    return { on: true, reason: 'kill switch value unreadable', by: r.by, updatedAt: String(r.updated_at) };
  }
  return {
    on: v.on !== false,
    reason: typeof v.reason === 'string' ? v.reason : null,
    by: r.by,
    updatedAt: r.updated_at instanceof Date ? r.updated_at.toISOString() : r.updated_at,
  };
}

export function workerFromRow(r: Record<string, unknown>): WorkerInfo {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  return {
    id: String(r.id),
    host: String(r.host),
    pid: Number(r.pid),
    startedAt: iso(r.started_at),
    lastSeen: iso(r.last_seen),
    state: r.state as WorkerInfo['state'],
    running: Number(r.running),
    concurrency: Number(r.concurrency),
  };
}
