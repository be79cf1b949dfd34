/**
 * `exec health` (SPEC §5): the seed's keys — kill switch, ledger location and size, last event, model
 * endpoint — plus the store, the sandbox and the workers. Everything is measured now; what could not
 * be measured is null with the reason, never a guess.
 */
import type { SandboxStatus } from '@openclaw/policy';
import type { LedgerRecord } from '../ledger/record.js';
import type { ExecStore, JobCounts, WorkerInfo } from '../store/types.js';
import { type ModelProbe, probeModel } from './model-probe.js';

export interface HealthReport extends ModelProbe {
  kill_switch: boolean | null;
  ledger_path: string;
  events: number | null;
  last_event: Pick<LedgerRecord, 'seq' | 'ts' | 'type' | 'worker_id' | 'host'> | null;
  store: { kind: string; location: string; ok: boolean; detail: string };
  sandbox: { backend: string; available: boolean; reason: string; hint?: string };
  workers: (WorkerInfo & { stale: boolean })[];
  jobs: JobCounts | null;
}

/** A worker not heard from in this long is reported stale. */
export const STALE_AFTER_MS = 120_000;

export async function collectHealth(opts: {
  store: ExecStore | { error: string; kind: string; location: string };
  sandbox: SandboxStatus;
  env?: NodeJS.ProcessEnv;
  now?: number;
  /** `exec.model.apiBase` (OPENCLAW_MODEL_API_BASE wins). */
  modelApiBase?: string | undefined;
}): Promise<HealthReport> {
  const model = probeModel(opts.env, 2000, opts.modelApiBase);
  const sandbox = {
    backend: opts.sandbox.backend,
    available: opts.sandbox.available,
    reason: opts.sandbox.reason,
    ...(opts.sandbox.hint ? { hint: opts.sandbox.hint } : {}),
  };
  const s = opts.store;
  if ('error' in s) {
    return {
      kill_switch: null,
      ledger_path: s.location,
      events: null,
      last_event: null,
      ...(await model),
      store: { kind: s.kind, location: s.location, ok: false, detail: s.error },
      sandbox,
      workers: [],
      jobs: null,
    };
  }
  const [ks, head, workers, jobs] = await Promise.all([s.killSwitch(), s.ledgerHead(), s.workers(), s.jobCounts()]);
  let last: HealthReport['last_event'] = null;
  if (head) {
    const [r] = await s.readLedger(head.seq - 1, 1);
    if (r) {
      const rec = JSON.parse(r.body) as LedgerRecord;
      last = { seq: rec.seq, ts: rec.ts, type: rec.type, worker_id: rec.worker_id, host: rec.host };
    }
  }
  const now = opts.now ?? Date.now();
  return {
    kill_switch: ks.on,
    ledger_path: s.location,
    events: head?.seq ?? 0,
    last_event: last,
    ...(await model),
    store: { kind: s.kind, location: s.location, ok: true, detail: 'reachable' },
    sandbox,
    workers: workers.map((w) => ({ ...w, stale: w.state !== 'stopped' && now - Date.parse(w.lastSeen) > STALE_AFTER_MS })),
    jobs,
  };
}
