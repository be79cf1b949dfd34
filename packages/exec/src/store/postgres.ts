/**
 * The Postgres store, for many workers on many hosts (`exec.store: postgres://…`). Same tables and
 * behaviour as the embedded store.
 *
 * Every change is ONE statement: the job rows change and their ledger records are appended by the
 * same statement, so they commit together and cost one round trip. Claims take queued rows with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same one. The chain needs one
 * writer at a time: the statement locks the single `ledger_head` row after its job rows, then a
 * recursive CTE seals each record — the body is assembled from canonical-JSON fragments built in
 * JS (`eventFragments`), with the values only the database knows (prev, seq, ts; an attempt count
 * or a job id for rows chosen by the statement) filled in, and hashed with the built-in `sha256`.
 * Verification recomputes every hash in JS, and the conformance suite checks each body is exactly
 * the canonical JSON of its record. Times — lease expiry, `ts` — come from the server's clock.
 *
 * Needs PostgreSQL 13 or later (gen_random_uuid) and a UTF8 database. `pg` is loaded only when a
 * Postgres store is opened.
 */
import { OpenclawError } from '@openclaw/policy';
import type { Pool } from 'pg';
import { type Actor, eventFragments, hole, holeText, type LedgerEvent, type LedgerHead, type StoredRecord } from '../ledger/record.js';
import {
  CLAIM_SQL,
  ENQUEUE_SQL,
  eventArrays,
  FINISH_SQL,
  fillHole,
  JS_EVENTS,
  MIGRATION_LOCK,
  NOW_ISO,
  NOW_MS,
  SCHEMA,
  SCHEMA_VERSION,
  withLedger,
} from './postgres-sql.js';
import { finishEvent, type JobRow, jobFromRow, parseKillSwitch, reapEvent, workerFromRow } from './rows.js';
import {
  type ClaimOptions,
  type ClaimResult,
  type ExecStore,
  emptyCounts,
  type FinishOutcome,
  type JobCounts,
  type JobLease,
  type JobRecord,
  type JobState,
  type KillSwitchState,
  type LeaseStatus,
  type NewJob,
  newJobId,
  type ReapedJob,
  type WorkerInfo,
} from './types.js';

export interface PostgresStoreOptions {
  /** A schema to use instead of `public` (created when missing): tests give each case its own. */
  schema?: string;
  /** Pool size (default 4). */
  maxConnections?: number;
  /** Called when an idle connection breaks (the server restarted); the pool replaces it. */
  onIdleError?: (e: Error) => void;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

type Row = Record<string, unknown>;

/**
 * Text for a plain `text` column: Postgres cannot store U+0000 in text, so a NUL in an error or a
 * reason (a handler's message can hold one) is stored as U+FFFD there. The job's ledger record keeps
 * the exact text (canonical JSON writes it as \u0000); without this the finish would fail and the
 * job would stay running until its lease expired.
 */
const pgText = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

export class PostgresStore implements ExecStore {
  readonly kind = 'postgres' as const;
  readonly location: string;

  private constructor(
    private readonly pool: Pool,
    url: string,
  ) {
    this.location = redactUrl(url);
  }

  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pg = await import('pg');
    const PgPool = (pg.default ?? pg).Pool;
    if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new Error(`invalid schema name ${opts.schema}`);
    const pool = new PgPool({
      connectionString: url,
      max: opts.maxConnections ?? 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      // The claim must walk the queue index in order and stop at the first free row; on a young or
      // unanalysed table the planner prefers a bitmap scan that sorts every queued row per claim.
      // Our statements are prepared per connection; generic plans spare re-planning the ledger CTEs.
      options: `-c enable_bitmapscan=off -c plan_cache_mode=force_generic_plan${opts.schema ? ` -c search_path=${opts.schema}` : ''}`,
    });
    pool.on('error', (e) => opts.onIdleError?.(e));
    const store = new PostgresStore(pool, url);
    try {
      const c = await pool.connect();
      const onError = () => {};
      c.on('error', onError);
      try {
        const enc = await c.query<{ server_encoding: string }>('SHOW server_encoding');
        if (enc.rows[0]?.server_encoding !== 'UTF8')
          throw new OpenclawError({
            code: 'store_invalid',
            reason: `${store.location} uses encoding ${enc.rows[0]?.server_encoding}; the ledger needs UTF8`,
            hint: 'create the database with ENCODING UTF8',
          });
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        if (opts.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
        await c.query(SCHEMA);
        const v = await c.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', ['schema_version']);
        if (v.rowCount === 0) await c.query('INSERT INTO meta (key, value) VALUES ($1, $2)', ['schema_version', SCHEMA_VERSION]);
        else if (v.rows[0]?.value !== SCHEMA_VERSION)
          throw new OpenclawError({
            code: 'store_schema_mismatch',
            reason: `${store.location} has schema version ${v.rows[0]?.value}; this openclaw knows ${SCHEMA_VERSION}`,
            hint: 'use the openclaw release that created it, or point exec.store at a new database',
          });
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.off('error', onError);
        c.release();
      }
    } catch (e) {
      await pool.end().catch(() => {});
      if (e instanceof OpenclawError) throw e;
      throw new OpenclawError({
        code: 'store_unavailable',
        reason: `cannot open the Postgres store ${store.location}: ${(e as Error).message}`,
        hint: 'check that the server is running and exec.store in openclaw.yaml is right (postgres://user:password@host:port/db)',
        cause: e,
      });
    }
    return store;
  }

  private readonly names = new Map<string, string>();

  /** Runs a statement, prepared once per connection (the ledger CTEs cost more to plan than to run). */
  private async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    let name = this.names.get(sql);
    if (!name) {
      name = `oc_${this.names.size}`;
      this.names.set(sql, name);
    }
    return (await this.pool.query({ name, text: sql, values: params })).rows as Row[];
  }

  /** Why a lease-checked change matched no row: the job's current state against the lease. */
  private async leaseStatus(lease: JobLease, done?: JobState): Promise<LeaseStatus> {
    const [r] = await this.query('SELECT state, lease_id FROM jobs WHERE id = $1', [lease.jobId]);
    if (!r || r.lease_id !== lease.leaseId) return 'lost';
    if (done !== undefined && r.state === done) return 'ok';
    return r.state === 'cancelled' ? 'cancelled' : 'lost';
  }

  async enqueue(jobs: readonly NewJob[], actor: Actor): Promise<JobRecord[]> {
    if (jobs.length === 0) return [];
    const ids = jobs.map(() => newJobId());
    const events = jobs.map((j, i) => ({
      type: 'enqueue',
      jobId: ids[i],
      data: { job_type: j.type, params: j.params, ...(j.repo ? { repo: j.repo, ref: j.ref } : {}), max_attempts: j.maxAttempts, timeout_sec: j.timeoutSec },
    }));
    const rows = await this.query(ENQUEUE_SQL, [
      ...eventArrays(events, actor),
      ids,
      jobs.map((j) => j.type),
      jobs.map((j) => JSON.stringify(j.params)),
      jobs.map((j) => j.repo ?? null),
      jobs.map((j) => j.ref ?? null),
      jobs.map((j) => j.maxAttempts),
      jobs.map((j) => j.timeoutSec),
    ]);
    const byId = new Map(rows.map((r) => [r.id as string, jobFromRow(r as unknown as JobRow)]));
    return ids.map((id) => byId.get(id) as JobRecord);
  }

  async claim(actor: Actor, opts: ClaimOptions): Promise<ClaimResult> {
    const f = eventFragments(
      { type: 'claim', jobId: hole('job_id'), data: { attempt: hole('attempt'), job_type: hole('job_type'), lease_sec: opts.leaseSec } },
      actor,
    );
    // The kill switch is read in the claiming statement itself: a switch turned on before the
    // statement began is never passed.
    const [r] = await this.query(CLAIM_SQL, [
      opts.types,
      opts.limit ?? 1,
      actor.workerId,
      actor.host,
      opts.leaseSec,
      f.pre,
      f.post,
      holeText('job_id'),
      holeText('attempt'),
      holeText('job_type'),
    ]);
    const jobs = ((r?.jobs as JobRow[]) ?? []).map(jobFromRow);
    return { jobs, killSwitch: Boolean(r?.kill_switch) };
  }

  async heartbeat(lease: JobLease, actor: Actor, leaseSec: number, data: Record<string, unknown> = {}): Promise<LeaseStatus> {
    const f = eventFragments({ type: 'heartbeat', jobId: lease.jobId, data: { ...data, lease_sec: leaseSec } }, actor);
    const [r] = await this.query(
      `${withLedger(`beat AS (
         UPDATE jobs SET lease_expires_ms = ${NOW_MS} + ($3::float8 * 1000)::bigint, updated_at = ${NOW_ISO}
         WHERE id = $1 AND lease_id = $2 AND state = 'running' RETURNING id),
       changed AS (SELECT 1 AS ord, 'heartbeat'::text AS ev_type, id AS job_id, $4::text AS pre, $5::text AS post FROM beat)`)}
       SELECT count(*)::int AS n FROM beat`,
      [lease.jobId, lease.leaseId, leaseSec, f.pre, f.post],
    );
    return r?.n === 1 ? 'ok' : this.leaseStatus(lease);
  }

  async finish(lease: JobLease, actor: Actor, outcome: FinishOutcome): Promise<LeaseStatus> {
    const ev = finishEvent(lease.jobId, hole('attempt') as unknown as number, outcome);
    const f = eventFragments(ev, actor);
    const [r] = await this.query(FINISH_SQL, [
      lease.jobId,
      lease.leaseId,
      outcome.state,
      outcome.result === undefined ? null : JSON.stringify(outcome.result),
      outcome.error ? pgText(outcome.error) : (outcome.error ?? null),
      ev.type,
      f.pre,
      f.post,
      holeText('attempt'),
    ]);
    return r?.n === 1 ? 'ok' : this.leaseStatus(lease, outcome.state);
  }

  async release(lease: JobLease, actor: Actor, reason: string): Promise<LeaseStatus> {
    const f = eventFragments({ type: 'requeue', jobId: lease.jobId, data: { reason, attempts: hole('attempts') } }, actor);
    const [r] = await this.query(
      `${withLedger(`back AS (
         UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), lease_id = NULL, lease_owner = NULL, lease_host = NULL,
           lease_expires_ms = NULL, updated_at = ${NOW_ISO}
         WHERE id = $1 AND lease_id = $2 AND state = 'running' RETURNING id, attempts),
       changed AS (SELECT 1 AS ord, 'requeue'::text AS ev_type, id AS job_id, ${fillHole('$3::text', '$5', 'attempts::text')} AS pre, $4::text AS post FROM back)`)}
       SELECT count(*)::int AS n FROM back`,
      [lease.jobId, lease.leaseId, f.pre, f.post, holeText('attempts')],
    );
    return r?.n === 1 ? 'ok' : this.leaseStatus(lease);
  }

  async cancel(jobId: string, actor: Actor, reason: string): Promise<JobRecord | null> {
    const f = eventFragments({ type: 'cancel', jobId, data: { reason, from: hole('from') } }, actor);
    const [r] = await this.query(
      `${withLedger(`old AS (SELECT id, state FROM jobs WHERE id = $1 FOR UPDATE),
       cancelled AS (
         UPDATE jobs j SET state = 'cancelled', lease_expires_ms = NULL, error = $2, updated_at = ${NOW_ISO}
         FROM old WHERE j.id = old.id AND old.state IN ('queued', 'running')
         RETURNING j.*, old.state AS from_state),
       changed AS (SELECT 1 AS ord, 'cancel'::text AS ev_type, id AS job_id, ${fillHole('$3::text', '$5', 'to_json(from_state)::text')} AS pre, $4::text AS post FROM cancelled)`)}
       SELECT (SELECT row_to_json(c) FROM cancelled c) AS cancelled, (SELECT row_to_json(j) FROM jobs j WHERE j.id = $1) AS current`,
      [jobId, pgText(reason), f.pre, f.post, holeText('from')],
    );
    const row = (r?.cancelled ?? r?.current) as JobRow | null;
    return row ? jobFromRow(row) : null;
  }

  async reapExpired(actor: Actor, limit = 100): Promise<ReapedJob[]> {
    const requeue = eventFragments(reapEvent(hole('job_id'), false, hole('attempts') as unknown as number, hole('owner')), actor);
    const dead = eventFragments(reapEvent(hole('job_id'), true, hole('attempts') as unknown as number, hole('owner')), actor);
    const fill = (pre: string) =>
      `replace(replace(replace(${pre}, $6, to_json(id)::text), $7, attempts::text), $8, coalesce(to_json(previous_owner)::text, 'null'))`;
    const rows = await this.query(
      `${withLedger(`expired AS (
         SELECT qseq, lease_owner FROM jobs WHERE state = 'running' AND lease_expires_ms < ${NOW_MS}
         ORDER BY lease_expires_ms LIMIT $1 FOR UPDATE SKIP LOCKED),
       reaped AS (
         UPDATE jobs j SET state = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'queued' END,
           error = CASE WHEN j.attempts >= j.max_attempts THEN 'lease expired after ' || j.attempts || ' attempts' ELSE NULL END,
           lease_id = NULL, lease_owner = NULL, lease_host = NULL, lease_expires_ms = NULL, updated_at = ${NOW_ISO}
         FROM expired WHERE j.qseq = expired.qseq
         RETURNING j.qseq, j.id, j.state, j.attempts, expired.lease_owner AS previous_owner),
       changed AS (
         SELECT qseq AS ord, CASE WHEN state = 'dead' THEN 'fail' ELSE 'requeue' END AS ev_type, id AS job_id,
           CASE WHEN state = 'dead' THEN ${fill('$4::text')} ELSE ${fill('$2::text')} END AS pre,
           CASE WHEN state = 'dead' THEN $5::text ELSE $3::text END AS post
         FROM reaped)`)}
       SELECT id, state, attempts FROM reaped ORDER BY qseq`,
      [limit, requeue.pre, requeue.post, dead.pre, dead.post, holeText('job_id'), holeText('attempts'), holeText('owner')],
    );
    return rows.map((x) => ({ jobId: x.id as string, state: x.state as 'queued' | 'dead', attempts: Number(x.attempts) }));
  }

  async append(events: readonly LedgerEvent[], actor: Actor): Promise<LedgerHead> {
    const [r] = await this.query(`${withLedger(JS_EVENTS(1))} SELECT seq, hash FROM moved`, eventArrays(events, actor));
    if (r) return { seq: Number(r.seq), hash: r.hash as string };
    return (await this.ledgerHead()) as LedgerHead;
  }

  async setKillSwitch(on: boolean, actor: Actor, reason: string | null): Promise<KillSwitchState> {
    const [r] = await this.query(
      `${withLedger(`setting AS (
         INSERT INTO control (key, value, by, updated_at) VALUES ('kill_switch', $5, $6, ${NOW_ISO})
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, by = excluded.by, updated_at = excluded.updated_at
         RETURNING updated_at),
       ${JS_EVENTS(1)}`)}
       SELECT updated_at FROM setting`,
      [...eventArrays([{ type: 'kill_switch', data: { on, reason } }], actor), JSON.stringify({ on, reason }), actor.workerId],
    );
    return { on, reason, by: actor.workerId, updatedAt: (r?.updated_at as string) ?? null };
  }

  async killSwitch(): Promise<KillSwitchState> {
    const [r] = await this.query(`SELECT value, by, updated_at FROM control WHERE key = 'kill_switch'`);
    return parseKillSwitch(r as Parameters<typeof parseKillSwitch>[0]);
  }

  async workerHeartbeat(
    info: Omit<WorkerInfo, 'lastSeen' | 'startedAt'> & { startedAt?: string },
    actor: Actor,
    event?: Record<string, unknown>,
  ): Promise<void> {
    const events = event ? [{ type: 'heartbeat', data: { ...event, worker_state: info.state, running: info.running } }] : [];
    await this.query(
      `${withLedger(`upsert AS (
         INSERT INTO workers (id, host, pid, started_at, last_seen, state, running, concurrency)
         VALUES ($5, $6, $7, coalesce($8, ${NOW_ISO}), ${NOW_ISO}, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, state = excluded.state, running = excluded.running
         RETURNING id),
       ${JS_EVENTS(1)}`)}
       SELECT count(*) FROM upsert`,
      [...eventArrays(events, actor), info.id, info.host, info.pid, info.startedAt ?? null, info.state, info.running, info.concurrency],
    );
  }

  async workers(): Promise<WorkerInfo[]> {
    return (await this.query('SELECT * FROM workers ORDER BY last_seen DESC')).map(workerFromRow);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const [r] = await this.query('SELECT * FROM jobs WHERE id = $1', [id]);
    return r ? jobFromRow(r as unknown as JobRow) : null;
  }

  async listJobs(opts: { states?: readonly JobState[]; limit?: number } = {}): Promise<JobRecord[]> {
    const rows = opts.states
      ? await this.query('SELECT * FROM jobs WHERE state = ANY($1::text[]) ORDER BY qseq DESC LIMIT $2', [opts.states, opts.limit ?? 20])
      : await this.query('SELECT * FROM jobs ORDER BY qseq DESC LIMIT $1', [opts.limit ?? 20]);
    return rows.map((r) => jobFromRow(r as unknown as JobRow));
  }

  async jobCounts(): Promise<JobCounts> {
    const counts = emptyCounts();
    for (const row of await this.query('SELECT state, count(*) AS n FROM jobs GROUP BY state')) counts[row.state as JobState] = Number(row.n);
    return counts;
  }

  async ledgerHead(): Promise<LedgerHead | null> {
    const [r] = await this.query('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
    return r ? { seq: Number(r.seq), hash: r.hash as string } : null;
  }

  async readLedger(afterSeq: number, limit: number): Promise<StoredRecord[]> {
    const rows = await this.query('SELECT seq, body, hash FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit]);
    return rows.map((x) => ({ seq: Number(x.seq), body: x.body as string, hash: x.hash as string }));
  }

  async *ledgerPages(pageSize = 10_000): AsyncIterable<StoredRecord[]> {
    let after = 0;
    for (;;) {
      const page = await this.readLedger(after, pageSize);
      if (page.length === 0) return;
      after = page[page.length - 1]?.seq as number;
      yield page;
      if (page.length < pageSize) return;
    }
  }

  async jobEvents(jobId: string): Promise<StoredRecord[]> {
    const rows = await this.query('SELECT seq, body, hash FROM ledger WHERE job_id = $1 ORDER BY seq', [jobId]);
    return rows.map((x) => ({ seq: Number(x.seq), body: x.body as string, hash: x.hash as string }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
