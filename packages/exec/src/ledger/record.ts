/**
 * The ledger record (SPEC §5). One record per event, chained:
 *
 *   {seq, ts, worker_id, host, type, job_id?, data, prev, hash}
 *
 * `seq` counts from 1 without gaps; `ts` is UTC ISO-8601 with milliseconds; `prev` is the `hash` of
 * the record before (64 zeros for the first); `hash` is the SHA-256 (hex) of the record's *body*: the
 * canonical JSON of the record without `hash` — keys sorted by UTF-16 code units at every level, no
 * whitespace, strings and numbers as JSON.stringify writes them (the rules of RFC 8785). Stores keep
 * the body bytes as written, so verification hashes exactly what was sealed.
 */
import { createHash } from 'node:crypto';

export const GENESIS_PREV = '0'.repeat(64);

export const LEDGER_EVENT_TYPES = [
  'enqueue',
  'claim',
  'heartbeat',
  'complete',
  'fail',
  'requeue',
  'cancel',
  'exec.started',
  'exec.finished',
  'exec.denied',
  'approval.requested',
  'approval.granted',
  'approval.denied',
  'kill_switch',
] as const;

export interface LedgerRecord {
  seq: number;
  ts: string;
  worker_id: string;
  host: string;
  type: string;
  job_id?: string;
  data: Record<string, unknown>;
  prev: string;
  hash: string;
}

/** A record as a store keeps it: its sequence number, the sealed body and its hash. */
export interface StoredRecord {
  seq: number;
  body: string;
  hash: string;
}

export interface LedgerHead {
  seq: number;
  hash: string;
}

/** What a caller appends; the store assigns seq, ts and prev inside its transaction. */
export interface LedgerEvent {
  type: string;
  jobId?: string | undefined;
  data?: Record<string, unknown>;
}

/** Who writes an event: a worker, or `cli` for commands run by a person. */
export interface Actor {
  workerId: string;
  host: string;
}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((obj as { toJSON: () => unknown }).toJSON());
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        const v = obj[k];
        if (v !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Seals the next record after `head`: its body and hash. */
export function sealRecord(head: LedgerHead | null, ev: LedgerEvent, actor: Actor, ts: string): StoredRecord & { record: LedgerRecord } {
  const unsealed: Omit<LedgerRecord, 'hash'> = {
    seq: (head?.seq ?? 0) + 1,
    ts,
    worker_id: actor.workerId,
    host: actor.host,
    type: ev.type,
    ...(ev.jobId !== undefined ? { job_id: ev.jobId } : {}),
    data: ev.data ?? {},
    prev: head?.hash ?? GENESIS_PREV,
  };
  const body = canonicalJson(unsealed);
  const hash = sha256Hex(body);
  return { seq: unsealed.seq, body, hash, record: { ...unsealed, hash } };
}

/** The JSONL line of a stored record (what `exec ledger export` writes): the record with its hash. */
export function recordLine(r: StoredRecord): string {
  // The body is canonical and `hash` sorts between `data` and `host`: rebuild rather than splice.
  const parsed = JSON.parse(r.body) as Record<string, unknown>;
  return canonicalJson({ ...parsed, hash: r.hash });
}
