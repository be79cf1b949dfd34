/**
 * The SQL of the Postgres store: the schema, and the ledger half every changing statement shares
 * (`withLedger`): the job rows change and their records are sealed and appended in one statement.
 */
import { type Actor, eventFragments, GENESIS_PREV, type LedgerEvent } from '../ledger/record.js';

export const SCHEMA_VERSION = '1';
export const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
export const NOW_ISO = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** Any fixed number: the advisory lock that serialises schema creation between starting workers. */
export const MIGRATION_LOCK = 7_305_420_113;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  qseq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  type text NOT NULL,
  params text NOT NULL,
  repo text,
  ref text,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  timeout_sec integer NOT NULL,
  created_at text NOT NULL,
  updated_at text NOT NULL,
  lease_id text,
  lease_owner text,
  lease_host text,
  lease_expires_ms bigint,
  result text,
  error text
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (qseq) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_leases ON jobs (lease_expires_ms) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS ledger (seq bigint PRIMARY KEY, type text NOT NULL, job_id text, body text NOT NULL, hash text NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_job ON ledger (job_id) WHERE job_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS ledger_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text);
INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, NULL) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS control (key text PRIMARY KEY, value text NOT NULL, by text, updated_at text NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at text NOT NULL,
  last_seen text NOT NULL,
  state text NOT NULL,
  running integer NOT NULL,
  concurrency integer NOT NULL
);
`;

/**
 * The ledger half of every changing statement. `changed` must yield (ord, ev_type, job_id, pre,
 * post) per event; this seals them in `ord` order after the locked head, inserts them and moves the
 * head. With no events, the head is not even locked.
 */
/**
 * `text` with the first occurrence of the hole `holeParam` replaced by `value`. Not replace(), which
 * rewrites every occurrence: a fragment that carries a caller's data (a result, an error, a reason)
 * may hold the hole's own text, and that must reach the record as it is. The hole comes first
 * because it sits in a key that sorts before the caller's data (canonical JSON sorts keys), as on
 * SQLite (cutAtHoles). For templates without a caller's data (claim, reap) replace() is exact.
 */
export const fillHole = (text: string, holeParam: string, value: string) =>
  `overlay(${text} placing ${value} from strpos(${text}, ${holeParam}) for length(${holeParam}))`;

export function withLedger(changed: string): string {
  return `WITH RECURSIVE ${changed},
  ev AS (SELECT row_number() OVER (ORDER BY ord) AS n, ev_type, job_id, pre, post FROM changed),
  head AS (SELECT seq, coalesce(hash, '${GENESIS_PREV}') AS hash FROM ledger_head WHERE id = 1 AND EXISTS (SELECT 1 FROM ev) FOR UPDATE),
  clock AS (SELECT ${NOW_ISO} AS ts),
  chain (n, seq, hash, body) AS (
    SELECT 0::bigint, head.seq, head.hash, NULL::text FROM head
    UNION ALL
    SELECT c.n + 1, c.seq + 1, encode(sha256(convert_to(b.body, 'UTF8')), 'hex'), b.body
    FROM chain c JOIN ev ON ev.n = c.n + 1 CROSS JOIN clock
    CROSS JOIN LATERAL (SELECT ev.pre || c.hash || '","seq":' || (c.seq + 1) || ',"ts":"' || clock.ts || ev.post AS body) b
  ),
  appended AS (INSERT INTO ledger (seq, type, job_id, body, hash) SELECT c.seq, ev.ev_type, ev.job_id, c.body, c.hash FROM chain c JOIN ev ON ev.n = c.n RETURNING seq),
  moved AS (UPDATE ledger_head h SET seq = last.seq, hash = last.hash FROM (SELECT seq, hash FROM chain WHERE n > 0 ORDER BY n DESC LIMIT 1) last WHERE h.id = 1 RETURNING h.seq, h.hash)`;
}

/** Fragments for events given in full by JS, as the arrays `unnest` takes. */
export function eventArrays(events: readonly LedgerEvent[], actor: Actor) {
  const types: string[] = [];
  const jobIds: (string | null)[] = [];
  const pres: string[] = [];
  const posts: string[] = [];
  for (const ev of events) {
    const f = eventFragments(ev, actor);
    types.push(ev.type);
    jobIds.push(ev.jobId ?? null);
    pres.push(f.pre);
    posts.push(f.post);
  }
  return [types, jobIds, pres, posts];
}
/** `changed` for events given by JS as $1..$4. */
export const JS_EVENTS = (p = 1) =>
  `changed AS (SELECT e.ord, e.ev_type, e.job_id, e.pre, e.post FROM unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::text[], $${p + 3}::text[]) WITH ORDINALITY AS e (ev_type, job_id, pre, post, ord))`;

/** The statements of the queue's hot path (exported so `bench/queue.ts` can run the same SQL raw). */
export const ENQUEUE_SQL = `${withLedger(`inserted AS (
         INSERT INTO jobs (id, type, params, repo, ref, state, attempts, max_attempts, timeout_sec, created_at, updated_at)
         SELECT id, type, params, repo, ref, 'queued', 0, max_attempts, timeout_sec, ${NOW_ISO}, ${NOW_ISO}
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::int[]) WITH ORDINALITY
           AS t (id, type, params, repo, ref, max_attempts, timeout_sec, ord)
         ORDER BY ord
         RETURNING *),
       ${JS_EVENTS(1)}`)}
       SELECT * FROM inserted`;
export const CLAIM_SQL = `${withLedger(`ks AS (SELECT coalesce((SELECT coalesce((value::jsonb ->> 'on')::boolean, true) FROM control WHERE key = 'kill_switch'), false) AS on_),
       next AS (
         SELECT qseq FROM jobs
         WHERE state = 'queued' AND type = ANY($1::text[]) AND NOT (SELECT on_ FROM ks)
         ORDER BY qseq LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, lease_id = gen_random_uuid()::text, lease_owner = $3, lease_host = $4,
           lease_expires_ms = ${NOW_MS} + ($5::float8 * 1000)::bigint, updated_at = ${NOW_ISO}
         FROM next WHERE j.qseq = next.qseq
         RETURNING j.*),
       changed AS (
         SELECT qseq AS ord, 'claim'::text AS ev_type, id AS job_id,
           replace(replace(replace($6::text, $8, to_json(id)::text), $9, attempts::text), $10, to_json(type)::text) AS pre, $7::text AS post
         FROM claimed)`)}
       SELECT (SELECT on_ FROM ks) AS kill_switch, (SELECT coalesce(json_agg(c ORDER BY c.qseq), '[]'::json) FROM claimed c) AS jobs`;
export const FINISH_SQL = `${withLedger(`done AS (
         UPDATE jobs SET state = $3, result = $4, error = $5, lease_expires_ms = NULL, updated_at = ${NOW_ISO}
         WHERE id = $1 AND lease_id = $2 AND state = 'running' RETURNING id, attempts),
       changed AS (SELECT 1 AS ord, $6::text AS ev_type, id AS job_id, ${fillHole('$7::text', '$9', 'attempts::text')} AS pre, $8::text AS post FROM done)`)}
       SELECT count(*)::int AS n FROM done`;
export const QUEUE_SQL = { enqueue: ENQUEUE_SQL, claim: CLAIM_SQL, finish: FINISH_SQL };
