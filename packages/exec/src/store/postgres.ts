/**
 * The Postgres store, for many workers on many hosts (`exec.store: postgres://…`). Same tables and
 * behaviour as the embedded store. Claims take queued rows with `FOR UPDATE SKIP LOCKED`, so
 * concurrent workers never wait on each other's rows and never take the same one. The chain needs
 * one writer at a time: every transaction that appends locks the single `ledger_head` row last (after
 * its job rows, so lock order is always the same and no two transactions deadlock). Times — lease
 * expiry and the ledger's `ts` — come from the server's clock.
 *
 * Needs PostgreSQL 13 or later (gen_random_uuid). `pg` is loaded only when a Postgres store is opened.
 */
import { OpenclawError } from '@openclaw/policy';
import type { Pool, PoolClient } from 'pg';
import { type Actor, type LedgerEvent, type LedgerHead, type StoredRecord, sealRecord } from '../ledger/record.js';
import { finishEvent, jobFromRow, parseKillSwitch, reapEvent, workerFromRow } from './rows.js';
import {
  type ClaimResult,
  emptyCounts,
  type ExecStore,
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

const SCHEMA_VERSION = '1';
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const NOW_ISO = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** Any fixed number: the advisory lock that serialises schema creation between starting workers. */
const MIGRATION_LOCK = 7_305_420_113;

const SCHEMA = `
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
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    pool.on('error', (e) => opts.onIdleError?.(e));
    const store = new PostgresStore(pool, url);
    try {
      const c = await pool.connect();
      try {
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

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await c.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw e;
    } finally {
      c.release(broken);
    }
  }

  /** Locks the head row and appends; must be the last lock a transaction takes. */
  private async appendIn(c: PoolClient, events: readonly LedgerEvent[], actor: Actor): Promise<LedgerHead | null> {
    if (events.length === 0) return null;
    const h = await c.query<{ seq: string; hash: string | null; ts: string }>(`SELECT seq, hash, ${NOW_ISO} AS ts FROM ledger_head WHERE id = 1 FOR UPDATE`);
    const row = h.rows[0];
    if (!row) throw new Error('ledger_head row is missing');
    let head: LedgerHead | null = row.hash === null ? null : { seq: Number(row.seq), hash: row.hash };
    const seqs: number[] = [];
    const types: string[] = [];
    const jobIds: (string | null)[] = [];
    const bodies: string[] = [];
    const hashes: string[] = [];
    for (const ev of events) {
      const sealed = sealRecord(head, ev, actor, row.ts);
      seqs.push(sealed.seq);
      types.push(ev.type);
      jobIds.push(ev.jobId ?? null);
      bodies.push(sealed.body);
      hashes.push(sealed.hash);
      head = { seq: sealed.seq, hash: sealed.hash };
    }
    const last = head as LedgerHead;
    await c.query(
      `WITH ins AS (INSERT INTO ledger (seq, type, job_id, body, hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]))
       UPDATE ledger_head SET seq = $6, hash = $7 WHERE id = 1`,
      [seqs, types, jobIds, bodies, hashes, last.seq, last.hash],
    );
    return last;
  }

  private async lockJob(c: PoolClient, id: string) {
    const r = await c.query(`SELECT * FROM jobs WHERE id = $1 FOR UPDATE`, [id]);
    return r.rows[0] as (Parameters<typeof jobFromRow>[0] & { attempts: number; max_attempts: number }) | undefined;
  }

  async enqueue(jobs: readonly NewJob[], actor: Actor): Promise<JobRecord[]> {
    if (jobs.length === 0) return [];
    return this.tx(async (c) => {
      const ids = jobs.map(() => newJobId());
      const r = await c.query(
        `INSERT INTO jobs (id, type, params, repo, ref, state, attempts, max_attempts, timeout_sec, created_at, updated_at)
         SELECT id, type, params, repo, ref, 'queued', 0, max_attempts, timeout_sec, ${NOW_ISO}, ${NOW_ISO}
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[])
           AS t (id, type, params, repo, ref, max_attempts, timeout_sec)
         RETURNING *`,
        [
          ids,
          jobs.map((j) => j.type),
          jobs.map((j) => JSON.stringify(j.params)),
          jobs.map((j) => j.repo ?? null),
          jobs.map((j) => j.ref ?? null),
          jobs.map((j) => j.maxAttempts),
          jobs.map((j) => j.timeoutSec),
        ],
      );
      const byId = new Map(r.rows.map((row) => [row.id as string, jobFromRow(row)]));
      const out = ids.map((id) => byId.get(id) as JobRecord);
      await this.appendIn(
        c,
        jobs.map((j, i) => ({
          type: 'enqueue',
          jobId: ids[i],
          data: { job_type: j.type, params: j.params, ...(j.repo ? { repo: j.repo, ref: j.ref } : {}), max_attempts: j.maxAttempts, timeout_sec: j.timeoutSec },
        })),
        actor,
      );
      return out;
    });
  }

  async claim(actor: Actor, opts: { leaseSec: number; types: readonly string[]; limit?: number }): Promise<ClaimResult> {
    // A cheap look first: an empty queue or the kill switch costs no transaction.
    const peek = await this.pool.query<{ ks: { value: string; by: string | null; updated_at: string } | null; has_job: boolean }>(
      `SELECT (SELECT row_to_json(c) FROM (SELECT value, by, updated_at FROM control WHERE key = 'kill_switch') c) AS ks,
              EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND type = ANY($1::text[])) AS has_job`,
      [opts.types],
    );
    const p = peek.rows[0];
    if (parseKillSwitch(p?.ks ?? undefined).on) return { jobs: [], killSwitch: true };
    if (!p?.has_job) return { jobs: [], killSwitch: false };
    return this.tx(async (c) => {
      // The kill switch is checked again in the claiming statement itself, so a switch turned on
      // before this statement began is never passed.
      const r = await c.query(
        `WITH next AS (
           SELECT qseq FROM jobs
           WHERE state = 'queued' AND type = ANY($1::text[])
             AND NOT EXISTS (SELECT 1 FROM control WHERE key = 'kill_switch' AND coalesce((value::jsonb ->> 'on')::boolean, true))
           ORDER BY qseq LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, lease_id = gen_random_uuid()::text, lease_owner = $3, lease_host = $4,
           lease_expires_ms = ${NOW_MS} + ($5::float8 * 1000)::bigint, updated_at = ${NOW_ISO}
         FROM next WHERE j.qseq = next.qseq
         RETURNING j.*`,
        [opts.types, opts.limit ?? 1, actor.workerId, actor.host, opts.leaseSec],
      );
      const jobs = r.rows.map(jobFromRow).sort((a, b) => (a.id < b.id ? -1 : 1));
      await this.appendIn(
        c,
        jobs.map((j) => ({ type: 'claim', jobId: j.id, data: { job_type: j.type, attempt: j.attempts, lease_sec: opts.leaseSec } })),
        actor,
      );
      return { jobs, killSwitch: false };
    });
  }

  async heartbeat(lease: JobLease, actor: Actor, leaseSec: number, data: Record<string, unknown> = {}): Promise<LeaseStatus> {
    return this.tx(async (c) => {
      const r = await this.lockJob(c, lease.jobId);
      if (!r || r.lease_id !== lease.leaseId) return 'lost';
      if (r.state === 'cancelled') return 'cancelled';
      if (r.state !== 'running') return 'lost';
      await c.query(`UPDATE jobs SET lease_expires_ms = ${NOW_MS} + ($2::float8 * 1000)::bigint, updated_at = ${NOW_ISO} WHERE id = $1`, [r.id, leaseSec]);
      await this.appendIn(c, [{ type: 'heartbeat', jobId: r.id, data: { ...data, lease_sec: leaseSec } }], actor);
      return 'ok';
    });
  }

  async finish(lease: JobLease, actor: Actor, outcome: FinishOutcome): Promise<LeaseStatus> {
    return this.tx(async (c) => {
      const r = await this.lockJob(c, lease.jobId);
      if (!r || r.lease_id !== lease.leaseId) return 'lost';
      if (r.state === outcome.state) return 'ok';
      if (r.state === 'cancelled') return 'cancelled';
      if (r.state !== 'running') return 'lost';
      await c.query(`UPDATE jobs SET state = $2, result = $3, error = $4, lease_expires_ms = NULL, updated_at = ${NOW_ISO} WHERE id = $1`, [
        r.id,
        outcome.state,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.error ?? null,
      ]);
      await this.appendIn(c, [finishEvent(r.id, Number(r.attempts), outcome)], actor);
      return 'ok';
    });
  }

  async release(lease: JobLease, actor: Actor, reason: string): Promise<LeaseStatus> {
    return this.tx(async (c) => {
      const r = await this.lockJob(c, lease.jobId);
      if (!r || r.lease_id !== lease.leaseId) return 'lost';
      if (r.state === 'cancelled') return 'cancelled';
      if (r.state !== 'running') return 'lost';
      const attempts = Math.max(0, Number(r.attempts) - 1);
      await c.query(
        `UPDATE jobs SET state = 'queued', attempts = $2, lease_id = NULL, lease_owner = NULL, lease_host = NULL, lease_expires_ms = NULL, updated_at = ${NOW_ISO} WHERE id = $1`,
        [r.id, attempts],
      );
      await this.appendIn(c, [{ type: 'requeue', jobId: r.id, data: { reason, attempts } }], actor);
      return 'ok';
    });
  }

  async cancel(jobId: string, actor: Actor, reason: string): Promise<JobRecord | null> {
    return this.tx(async (c) => {
      const r = await this.lockJob(c, jobId);
      if (!r) return null;
      if (r.state !== 'queued' && r.state !== 'running') return jobFromRow(r);
      const u = await c.query(`UPDATE jobs SET state = 'cancelled', lease_expires_ms = NULL, error = $2, updated_at = ${NOW_ISO} WHERE id = $1 RETURNING *`, [
        jobId,
        reason,
      ]);
      await this.appendIn(c, [{ type: 'cancel', jobId, data: { reason, from: r.state } }], actor);
      return jobFromRow(u.rows[0]);
    });
  }

  async reapExpired(actor: Actor, limit = 100): Promise<ReapedJob[]> {
    const any = await this.pool.query(`SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_ms < ${NOW_MS} LIMIT 1`);
    if (any.rowCount === 0) return [];
    return this.tx(async (c) => {
      const r = await c.query(
        `WITH expired AS (
           SELECT qseq, lease_owner FROM jobs WHERE state = 'running' AND lease_expires_ms < ${NOW_MS}
           ORDER BY lease_expires_ms LIMIT $1 FOR UPDATE SKIP LOCKED)
         UPDATE jobs j SET state = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'queued' END,
           error = CASE WHEN j.attempts >= j.max_attempts THEN 'lease expired after ' || j.attempts || ' attempts' ELSE NULL END,
           lease_id = NULL, lease_owner = NULL, lease_host = NULL, lease_expires_ms = NULL, updated_at = ${NOW_ISO}
         FROM expired WHERE j.qseq = expired.qseq
         RETURNING j.id, j.state, j.attempts, expired.lease_owner AS previous_owner`,
        [limit],
      );
      const rows = (r.rows as { id: string; state: 'queued' | 'dead'; attempts: number; previous_owner: string | null }[]).sort((a, b) => (a.id < b.id ? -1 : 1));
      await this.appendIn(
        c,
        rows.map((x) => reapEvent(x.id, x.state === 'dead', Number(x.attempts), x.previous_owner)),
        actor,
      );
      return rows.map((x) => ({ jobId: x.id, state: x.state, attempts: Number(x.attempts) }));
    });
  }

  async append(events: readonly LedgerEvent[], actor: Actor): Promise<LedgerHead> {
    return this.tx(async (c) => (await this.appendIn(c, events, actor)) ?? ((await this.ledgerHead()) as LedgerHead));
  }

  async setKillSwitch(on: boolean, actor: Actor, reason: string | null): Promise<KillSwitchState> {
    return this.tx(async (c) => {
      const r = await c.query<{ updated_at: string }>(
        `INSERT INTO control (key, value, by, updated_at) VALUES ('kill_switch', $1, $2, ${NOW_ISO})
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, by = excluded.by, updated_at = excluded.updated_at
         RETURNING updated_at`,
        [JSON.stringify({ on, reason }), actor.workerId],
      );
      await this.appendIn(c, [{ type: 'kill_switch', data: { on, reason } }], actor);
      return { on, reason, by: actor.workerId, updatedAt: r.rows[0]?.updated_at ?? null };
    });
  }

  async killSwitch(): Promise<KillSwitchState> {
    const r = await this.pool.query(`SELECT value, by, updated_at FROM control WHERE key = 'kill_switch'`);
    return parseKillSwitch(r.rows[0]);
  }

  async workerHeartbeat(info: Omit<WorkerInfo, 'lastSeen' | 'startedAt'> & { startedAt?: string }, actor: Actor, event?: Record<string, unknown>): Promise<void> {
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO workers (id, host, pid, started_at, last_seen, state, running, concurrency)
         VALUES ($1, $2, $3, coalesce($4, ${NOW_ISO}), ${NOW_ISO}, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, state = excluded.state, running = excluded.running`,
        [info.id, info.host, info.pid, info.startedAt ?? null, info.state, info.running, info.concurrency],
      );
      if (event) await this.appendIn(c, [{ type: 'heartbeat', data: { ...event, worker_state: info.state, running: info.running } }], actor);
    });
  }

  async workers(): Promise<WorkerInfo[]> {
    const r = await this.pool.query('SELECT * FROM workers ORDER BY last_seen DESC');
    return r.rows.map(workerFromRow);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const r = await this.pool.query('SELECT * FROM jobs WHERE id = $1', [id]);
    return r.rows[0] ? jobFromRow(r.rows[0]) : null;
  }

  async listJobs(opts: { states?: readonly JobState[]; limit?: number } = {}): Promise<JobRecord[]> {
    const r = opts.states
      ? await this.pool.query('SELECT * FROM jobs WHERE state = ANY($1::text[]) ORDER BY qseq DESC LIMIT $2', [opts.states, opts.limit ?? 20])
      : await this.pool.query('SELECT * FROM jobs ORDER BY qseq DESC LIMIT $1', [opts.limit ?? 20]);
    return r.rows.map(jobFromRow);
  }

  async jobCounts(): Promise<JobCounts> {
    const counts = emptyCounts();
    const r = await this.pool.query<{ state: JobState; n: string }>('SELECT state, count(*) AS n FROM jobs GROUP BY state');
    for (const row of r.rows) counts[row.state] = Number(row.n);
    return counts;
  }

  async ledgerHead(): Promise<LedgerHead | null> {
    const r = await this.pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
    const row = r.rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  }

  async readLedger(afterSeq: number, limit: number): Promise<StoredRecord[]> {
    const r = await this.pool.query<{ seq: string; body: string; hash: string }>('SELECT seq, body, hash FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2', [
      afterSeq,
      limit,
    ]);
    return r.rows.map((x) => ({ seq: Number(x.seq), body: x.body, hash: x.hash }));
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
    const r = await this.pool.query<{ seq: string; body: string; hash: string }>('SELECT seq, body, hash FROM ledger WHERE job_id = $1 ORDER BY seq', [jobId]);
    return r.rows.map((x) => ({ seq: Number(x.seq), body: x.body, hash: x.hash }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
