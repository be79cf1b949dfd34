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
import { hash } from 'node:crypto';

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
  'approval.pending',
  'approval.granted',
  'approval.denied',
  'kill_switch',
  'agent.model',
  'agent.tool_call',
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
  // One-shot: no Hash object per record (the same digest as createHash().update().digest()).
  return hash('sha256', text, 'hex');
}

/**
 * A record's body around the three values only the store knows (prev, seq, ts): the canonical
 * JSON's keys sort as data, host, job_id, prev, seq, ts, type, worker_id, so the body is
 * `pre + prev + '","seq":' + seq + ',"ts":"' + ts + post`. Postgres assembles bodies from these
 * fragments in SQL (one statement per change); the embedded store and the tests use `sealRecord`.
 */
export function eventFragments(ev: LedgerEvent, actor: Actor): { pre: string; post: string } {
  const jobId = ev.jobId !== undefined ? `,"job_id":${JSON.stringify(ev.jobId)}` : '';
  return {
    pre: `{"data":${canonicalJson(ev.data ?? {})},"host":${JSON.stringify(actor.host)}${jobId},"prev":"`,
    post: `","type":${JSON.stringify(ev.type)},"worker_id":${JSON.stringify(actor.workerId)}}`,
  };
}

/**
 * A value filled in after the fragments are built (by a statement on Postgres, inside the write
 * transaction on SQLite): canonical JSON writes it as the string "\u0000name\u0000".
 */
export const hole = (name: string) => `\u0000${name}\u0000`;
/** A hole as it appears in canonical JSON. */
export const holeText = (name: string) => JSON.stringify(hole(name));

/**
 * Cuts a fragment at its holes, named in the order they appear: it is then
 * `cuts[0] + v0 + cuts[1] + v1 + … + cuts[n]` with each value's canonical JSON in its hole. Each hole
 * is the first one of its text after the one before, so a hole must come before any data of the
 * event's caller that could hold the same text (canonical JSON sorts keys: put holes in keys that
 * sort first).
 */
export function cutAtHoles(text: string, names: readonly string[]): string[] {
  const cuts: string[] = [];
  let from = 0;
  for (const name of names) {
    const h = holeText(name);
    const at = text.indexOf(h, from);
    if (at < 0) throw new Error(`no hole ${name} in ${text}`);
    cuts.push(text.slice(from, at));
    from = at + h.length;
  }
  cuts.push(text.slice(from));
  return cuts;
}

export function assembleBody(pre: string, prev: string, seq: number, ts: string, post: string): string {
  return `${pre}${prev}","seq":${seq},"ts":"${ts}${post}`;
}

/** Seals the next record after `head` from its event's fragments (`eventFragments`): its body and hash. */
export function sealFragments(head: LedgerHead | null, f: { pre: string; post: string }, ts: string): StoredRecord {
  const seq = (head?.seq ?? 0) + 1;
  const body = assembleBody(f.pre, head?.hash ?? GENESIS_PREV, seq, ts, f.post);
  return { seq, body, hash: sha256Hex(body) };
}

/** Seals the next record after `head`: its body and hash. */
export function sealRecord(head: LedgerHead | null, ev: LedgerEvent, actor: Actor, ts: string): StoredRecord {
  return sealFragments(head, eventFragments(ev, actor), ts);
}

/** The JSONL line of a stored record (what `exec ledger export` writes): the record with its hash. */
export function recordLine(r: StoredRecord): string {
  // The body is canonical and `hash` sorts between `data` and `host`: rebuild rather than splice.
  const parsed = JSON.parse(r.body) as Record<string, unknown>;
  return canonicalJson({ ...parsed, hash: r.hash });
}
