/**
 * The embedded store: one SQLite file (`$OPENCLAW_HOME/state/exec.db` by default) through
 * `node:sqlite`, in WAL mode with synchronous=NORMAL — a crashed or killed process loses nothing it
 * committed; a power loss may lose the last commits but never corrupts the file.
 *
 * Every write is one `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock up front, so two
 * processes can never claim the same row. SQLite's busy handler waits for the lock, up to
 * `busyTimeoutMs` (sub-millisecond waits of our own were measured slower under load, see
 * docs/architecture.md). Statements run synchronously, so a transaction never interleaves with
 * another one of this process.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { OpenclawError } from '@openclaw/policy';
import {
  type Actor,
  canonicalJson,
  cutAtHoles,
  eventFragments,
  hole,
  type LedgerEvent,
  type LedgerHead,
  type StoredRecord,
  sealFragments,
} from '../ledger/record.js';
import { finishEvent, type JobRow, jobFromRow, parseKillSwitch, reapEvent, workerFromRow } from './rows.js';
import { SCHEMA, SCHEMA_VERSION } from './sqlite-schema.js';
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
  newLeaseId,
  type ReapedJob,
  type WorkerInfo,
} from './types.js';

function isBusy(e: unknown): boolean {
  return (e as { errcode?: number }).errcode === 5 || (e as { errcode?: number }).errcode === 6;
}

/**
 * Every connection's settings (the benchmark's raw baseline uses the same). `page_size` takes effect
 * only when the file is created (before WAL mode is set): 2 KiB pages, because a job's transactions
 * change a few rows in several B-trees (jobs, its indexes, the ledger) and WAL writes each changed
 * page whole — 4 KiB pages (SQLite's default) wrote twice the bytes per commit and per checkpoint
 * (one worker, no-op jobs: ~20% more wall time per job, the same CPU). Existing files keep theirs.
 */
export const SQLITE_CONNECTION_PRAGMAS = 'PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;';

/** An event with its record's fragments built (canonical JSON of its data included), ready to seal. */
interface PreparedEvent {
  type: string;
  jobId: string | null;
  pre: string;
  post: string;
}

function prepareEvent(ev: LedgerEvent, actor: Actor): PreparedEvent {
  const { pre, post } = eventFragments(ev, actor);
  return { type: ev.type, jobId: ev.jobId ?? null, pre, post };
}

/**
 * A job's end as `finishIn` writes it, made before the write lock: the result's JSON, and the
 * record's fragments with the attempt (read from the row under the lock) left as a hole. `attempt`
 * sorts first of the event's data, so it comes before anything of the result.
 */
interface PreparedFinish {
  outcome: FinishOutcome;
  result: string | null;
  type: string;
  cuts: string[];
  post: string;
}

/** The claim record of a worker (actor, lease length), made once: attempt, job type and job id are holes. */
interface ClaimTemplate {
  actor: Actor;
  leaseSec: number;
  cuts: string[];
  post: string;
}

/** A claim's rows, mapped to records after COMMIT. */
interface ClaimedRows {
  rows: JobRow[];
  killSwitch: boolean;
}

const claimed = (c: ClaimedRows): ClaimResult => ({ jobs: c.rows.map(jobFromRow), killSwitch: c.killSwitch });

export interface SqliteStoreOptions {
  /** How long a write waits for another process's transaction (default 10 s). */
  busyTimeoutMs?: number;
}

export class SqliteStore implements ExecStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: DatabaseSync;
  private readonly busyTimeoutMs: number;
  private readonly stmts = new Map<string, StatementSync>();
  /** The ledger head as this transaction left it (undefined: not read yet, or no transaction). */
  private txHead: LedgerHead | null | undefined;
  /** The transaction's clock, read once: its rows' timestamps and its records' `ts` are the same instant. */
  private txMs = 0;
  private txIso: string | undefined;

  private constructor(
    readonly path: string,
    opts: SqliteStoreOptions,
  ) {
    this.location = path;
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
    // SQLite's busy handler waits for locks, BEGIN IMMEDIATE's included (see tx).
    this.db = new DatabaseSync(path, { timeout: this.busyTimeoutMs });
  }

  /** Opens (creating 0600 when missing) and migrates the store. */
  static async open(path: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
    }
    let store: SqliteStore;
    try {
      store = new SqliteStore(path, opts);
      store.db.exec(SQLITE_CONNECTION_PRAGMAS);
      await store.tx(() => {
        store.db.exec(SCHEMA);
        const v = store.stmt('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
        if (!v) store.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
        else if (v.value !== SCHEMA_VERSION)
          throw new OpenclawError({
            code: 'store_schema_mismatch',
            reason: `${path} has schema version ${v.value}; this openclaw knows ${SCHEMA_VERSION}`,
            hint: 'use the openclaw release that created it, or move the file away',
          });
      });
    } catch (e) {
      if (e instanceof OpenclawError) throw e;
      throw new OpenclawError({
        code: 'store_unavailable',
        reason: `cannot open the embedded store ${path}: ${(e as Error).message}`,
        hint: `check that ${path} is a SQLite file you can write, or move it away to start a new one`,
        cause: e,
      });
    }
    return store;
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE … COMMIT. The connection's busy handler waits for the write lock
   * (sleeps of 1, 2, 5, 10 ms … up to `busyTimeoutMs`); a lock still held then is `store_busy`.
   */
  private async tx<T>(fn: () => T): Promise<T> {
    const start = performance.now();
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      if (!isBusy(e)) throw e;
      throw new OpenclawError({
        code: 'store_busy',
        reason: `the embedded store ${this.path} stayed locked for ${Math.round(performance.now() - start)} ms`,
        hint: 'another process holds a long write transaction; retry',
        cause: e,
      });
    }
    this.txHead = undefined;
    this.txIso = undefined;
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw e;
    } finally {
      this.txHead = undefined;
      this.txIso = undefined;
    }
  }

  /** The transaction's time as ISO-8601 (read on first use in the transaction). */
  private nowIso(): string {
    if (this.txIso === undefined) {
      this.txMs = Date.now();
      this.txIso = new Date(this.txMs).toISOString();
    }
    return this.txIso;
  }

  /** The transaction's time in milliseconds (the same instant as `nowIso`). */
  private nowMs(): number {
    this.nowIso();
    return this.txMs;
  }

  private head(): LedgerHead | null {
    const r = this.stmt('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    return r ? { seq: Number(r.seq), hash: r.hash } : null;
  }

  /** Appends events inside the caller's transaction. */
  private appendIn(events: readonly LedgerEvent[], actor: Actor): LedgerHead {
    return this.sealIn(events.map((ev) => prepareEvent(ev, actor)));
  }

  /** Seals and inserts prepared events inside the caller's transaction (only seq, prev and ts are left to fill in). */
  private sealIn(events: readonly PreparedEvent[]): LedgerHead {
    // The write lock is ours until COMMIT: a second append in the same transaction (a finish and a
    // claim) continues from the head the first one left instead of reading it again.
    let head = this.txHead !== undefined ? this.txHead : this.head();
    const ts = this.nowIso();
    const insert = this.stmt('INSERT INTO ledger (seq, type, job_id, body, hash) VALUES (?, ?, ?, ?, ?)');
    for (const ev of events) {
      const sealed = sealFragments(head, ev, ts);
      insert.run(sealed.seq, ev.type, ev.jobId, sealed.body, sealed.hash);
      head = { seq: sealed.seq, hash: sealed.hash };
    }
    this.txHead = head;
    return head as LedgerHead;
  }

  private row(id: string): JobRow | undefined {
    return this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  async enqueue(jobs: readonly NewJob[], actor: Actor): Promise<JobRecord[]> {
    // The ids, the params' JSON and the events' records (all but seq, prev, ts) are built before the
    // write lock is taken: the transaction holds it only for the inserts and the hash chain.
    const ids = jobs.map(() => newJobId());
    const params = jobs.map((j) => JSON.stringify(j.params));
    const events = jobs.map((j, i) =>
      prepareEvent(
        {
          type: 'enqueue',
          jobId: ids[i],
          data: { job_type: j.type, params: j.params, ...(j.repo ? { repo: j.repo, ref: j.ref } : {}), max_attempts: j.maxAttempts, timeout_sec: j.timeoutSec },
        },
        actor,
      ),
    );
    // The rows are mapped to records after COMMIT.
    const rows = await this.tx(() => {
      const now = this.nowIso();
      const insert = this.stmt(
        `INSERT INTO jobs (id, type, params, repo, ref, state, attempts, max_attempts, timeout_sec, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) RETURNING *`,
      );
      const out: JobRow[] = [];
      for (let i = 0; i < jobs.length; i++) {
        const j = jobs[i] as NewJob;
        const row = insert.get(
          ids[i] as string,
          j.type,
          params[i] as string,
          j.repo ?? null,
          j.ref ?? null,
          j.maxAttempts,
          j.timeoutSec,
          now,
          now,
        ) as unknown as JobRow;
        out.push(row);
      }
      this.sealIn(events);
      return out;
    });
    return rows.map(jobFromRow);
  }

  private static readonly PICK = `SELECT qseq FROM jobs WHERE state = 'queued' AND type IN (SELECT value FROM json_each(?)) ORDER BY qseq LIMIT ?`;

  /** The JSON of the last claim's types (a worker claims the same types every time). */
  private typesSeen: string[] = [];
  private typesJson = '[]';
  private typesParam(types: readonly string[]): string {
    const seen = this.typesSeen;
    let same = types.length === seen.length;
    for (let i = 0; same && i < types.length; i++) same = types[i] === seen[i];
    if (!same) {
      this.typesJson = JSON.stringify(types);
      this.typesSeen = [...types];
    }
    return this.typesJson;
  }

  async claim(actor: Actor, opts: ClaimOptions): Promise<ClaimResult> {
    // Outside a transaction first: an empty queue or the kill switch costs no write lock.
    if (this.killSwitchNow().on) return { jobs: [], killSwitch: true };
    if (this.stmt(SqliteStore.PICK).get(this.typesParam(opts.types), 1) === undefined) return { jobs: [], killSwitch: false };
    const tpl = this.claimTemplate(actor, opts.leaseSec);
    return claimed(await this.tx(() => this.claimIn(actor, opts, tpl)));
  }

  private claimTpl: ClaimTemplate | undefined;
  /** The claim record's template for this actor and lease length (a worker keeps both). */
  private claimTemplate(actor: Actor, leaseSec: number): ClaimTemplate {
    const t = this.claimTpl;
    if (t && t.actor.workerId === actor.workerId && t.actor.host === actor.host && t.leaseSec === leaseSec) return t;
    const f = eventFragments(
      { type: 'claim', jobId: hole('job_id'), data: { attempt: hole('attempt'), job_type: hole('job_type'), lease_sec: leaseSec } },
      actor,
    );
    this.claimTpl = {
      actor: { workerId: actor.workerId, host: actor.host },
      leaseSec,
      cuts: cutAtHoles(f.pre, ['attempt', 'job_type', 'job_id']),
      post: f.post,
    };
    return this.claimTpl;
  }

  /**
   * Claims inside the caller's transaction (the kill switch is read in it too). The rows are mapped
   * to records after COMMIT; the claim records are the template with the rows' values filled in.
   */
  private claimIn(actor: Actor, opts: ClaimOptions, tpl: ClaimTemplate): ClaimedRows {
    if (this.killSwitchNow().on) return { rows: [], killSwitch: true };
    const candidates = this.stmt(SqliteStore.PICK).all(this.typesParam(opts.types), opts.limit ?? 1) as { qseq: number }[];
    if (candidates.length === 0) return { rows: [], killSwitch: false };
    const now = this.nowMs();
    const iso = this.nowIso();
    const update = this.stmt(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_id = ?, lease_owner = ?, lease_host = ?, lease_expires_ms = ?, updated_at = ?
       WHERE qseq = ? AND state = 'queued' RETURNING *`,
    );
    const rows: JobRow[] = [];
    const events: PreparedEvent[] = [];
    const c = tpl.cuts;
    for (const cand of candidates) {
      const row = update.get(newLeaseId(), actor.workerId, actor.host, now + Math.round(opts.leaseSec * 1000), iso, cand.qseq) as unknown as JobRow | undefined;
      if (!row) continue;
      rows.push(row);
      const pre = `${c[0]}${canonicalJson(Number(row.attempts))}${c[1]}${canonicalJson(row.type)}${c[2]}${canonicalJson(row.id)}${c[3]}`;
      events.push({ type: 'claim', jobId: row.id, pre, post: tpl.post });
    }
    this.sealIn(events);
    return { rows, killSwitch: false };
  }

  async heartbeat(lease: JobLease, actor: Actor, leaseSec: number, data: Record<string, unknown> = {}): Promise<LeaseStatus> {
    return this.tx(() => {
      const r = this.row(lease.jobId);
      if (!r || r.lease_id !== lease.leaseId) return 'lost';
      if (r.state === 'cancelled') return 'cancelled';
      if (r.state !== 'running') return 'lost';
      const now = Date.now();
      this.stmt('UPDATE jobs SET lease_expires_ms = ?, updated_at = ? WHERE id = ?').run(now + Math.round(leaseSec * 1000), new Date(now).toISOString(), r.id);
      this.appendIn([{ type: 'heartbeat', jobId: r.id, data: { ...data, lease_sec: leaseSec } }], actor);
      return 'ok';
    });
  }

  async finish(lease: JobLease, actor: Actor, outcome: FinishOutcome): Promise<LeaseStatus> {
    const fin = this.prepareFinish(lease, actor, outcome);
    return this.tx(() => this.finishIn(lease, fin));
  }

  /**
   * Ends a job and claims the worker's next ones in the same transaction: one write lock per job
   * instead of two. The finish is exactly `finish` (and commits with the claim); the claim is exactly
   * `claim`, kill switch included.
   */
  async finishAndClaim(lease: JobLease, actor: Actor, outcome: FinishOutcome, next: ClaimOptions): Promise<{ status: LeaseStatus; next: ClaimResult }> {
    const fin = this.prepareFinish(lease, actor, outcome);
    const tpl = this.claimTemplate(actor, next.leaseSec);
    // The finish first, then the claim (in that order: the claim may take the slot it frees).
    const out = await this.tx(() => ({ status: this.finishIn(lease, fin), rows: this.claimIn(actor, next, tpl) }));
    return { status: out.status, next: claimed(out.rows) };
  }

  private prepareFinish(lease: JobLease, actor: Actor, outcome: FinishOutcome): PreparedFinish {
    const ev = finishEvent(lease.jobId, hole('attempt') as unknown as number, outcome);
    const f = eventFragments(ev, actor);
    return {
      outcome,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
      type: ev.type,
      cuts: cutAtHoles(f.pre, ['attempt']),
      post: f.post,
    };
  }

  private finishIn(lease: JobLease, fin: PreparedFinish): LeaseStatus {
    const r = this.row(lease.jobId);
    if (!r || r.lease_id !== lease.leaseId) return 'lost';
    if (r.state === fin.outcome.state) return 'ok';
    if (r.state === 'cancelled') return 'cancelled';
    if (r.state !== 'running') return 'lost';
    this.stmt('UPDATE jobs SET state = ?, result = ?, error = ?, lease_expires_ms = NULL, updated_at = ? WHERE id = ?').run(
      fin.outcome.state,
      fin.result,
      fin.outcome.error ?? null,
      this.nowIso(),
      r.id,
    );
    const c = fin.cuts;
    this.sealIn([{ type: fin.type, jobId: r.id, pre: `${c[0]}${canonicalJson(Number(r.attempts))}${c[1]}`, post: fin.post }]);
    return 'ok';
  }

  async release(lease: JobLease, actor: Actor, reason: string): Promise<LeaseStatus> {
    return this.tx(() => {
      const r = this.row(lease.jobId);
      if (!r || r.lease_id !== lease.leaseId) return 'lost';
      if (r.state === 'cancelled') return 'cancelled';
      if (r.state !== 'running') return 'lost';
      const attempts = Math.max(0, Number(r.attempts) - 1);
      this.stmt(
        `UPDATE jobs SET state = 'queued', attempts = ?, lease_id = NULL, lease_owner = NULL, lease_host = NULL, lease_expires_ms = NULL, updated_at = ? WHERE id = ?`,
      ).run(attempts, new Date().toISOString(), r.id);
      this.appendIn([{ type: 'requeue', jobId: r.id, data: { reason, attempts } }], actor);
      return 'ok';
    });
  }

  async cancel(jobId: string, actor: Actor, reason: string): Promise<JobRecord | null> {
    return this.tx(() => {
      const r = this.row(jobId);
      if (!r) return null;
      if (r.state !== 'queued' && r.state !== 'running') return jobFromRow(r);
      const row = this.stmt(`UPDATE jobs SET state = 'cancelled', lease_expires_ms = NULL, error = ?, updated_at = ? WHERE id = ? RETURNING *`).get(
        reason,
        new Date().toISOString(),
        jobId,
      ) as unknown as JobRow;
      this.appendIn([{ type: 'cancel', jobId, data: { reason, from: r.state } }], actor);
      return jobFromRow(row);
    });
  }

  async reapExpired(actor: Actor, limit = 100): Promise<ReapedJob[]> {
    const find = `SELECT id FROM jobs WHERE state = 'running' AND lease_expires_ms < ? ORDER BY lease_expires_ms LIMIT ?`;
    if (this.stmt(find).get(Date.now(), 1) === undefined) return [];
    return this.tx(() => {
      const now = Date.now();
      const rows = this.stmt(`SELECT * FROM jobs WHERE state = 'running' AND lease_expires_ms < ? ORDER BY lease_expires_ms LIMIT ?`).all(
        now,
        limit,
      ) as unknown as JobRow[];
      const out: ReapedJob[] = [];
      const events: LedgerEvent[] = [];
      const iso = new Date(now).toISOString();
      for (const r of rows) {
        const attempts = Number(r.attempts);
        const dead = attempts >= Number(r.max_attempts);
        const state = dead ? 'dead' : 'queued';
        this.stmt(
          `UPDATE jobs SET state = ?, lease_id = NULL, lease_owner = NULL, lease_host = NULL, lease_expires_ms = NULL, error = ?, updated_at = ? WHERE id = ?`,
        ).run(state, dead ? `lease expired after ${attempts} attempts` : null, iso, r.id);
        events.push(reapEvent(r.id, dead, attempts, r.lease_owner));
        out.push({ jobId: r.id, state, attempts });
      }
      this.appendIn(events, actor);
      return out;
    });
  }

  async append(events: readonly LedgerEvent[], actor: Actor): Promise<LedgerHead> {
    return this.tx(() => this.appendIn(events, actor));
  }

  private killSwitchNow(): KillSwitchState {
    const r = this.stmt(`SELECT value, by, updated_at FROM control WHERE key = 'kill_switch'`).get() as
      | { value: string; by: string | null; updated_at: string }
      | undefined;
    return parseKillSwitch(r);
  }

  async setKillSwitch(on: boolean, actor: Actor, reason: string | null): Promise<KillSwitchState> {
    return this.tx(() => {
      const now = new Date().toISOString();
      this.stmt(
        `INSERT INTO control (key, value, by, updated_at) VALUES ('kill_switch', ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, by = excluded.by, updated_at = excluded.updated_at`,
      ).run(JSON.stringify({ on, reason }), actor.workerId, now);
      this.appendIn([{ type: 'kill_switch', data: { on, reason } }], actor);
      return { on, reason, by: actor.workerId, updatedAt: now };
    });
  }

  async killSwitch(): Promise<KillSwitchState> {
    return this.killSwitchNow();
  }

  async workerHeartbeat(
    info: Omit<WorkerInfo, 'lastSeen' | 'startedAt'> & { startedAt?: string },
    actor: Actor,
    event?: Record<string, unknown>,
  ): Promise<void> {
    await this.tx(() => {
      const now = new Date().toISOString();
      this.stmt(
        `INSERT INTO workers (id, host, pid, started_at, last_seen, state, running, concurrency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, state = excluded.state, running = excluded.running`,
      ).run(info.id, info.host, info.pid, info.startedAt ?? now, now, info.state, info.running, info.concurrency);
      if (event) this.appendIn([{ type: 'heartbeat', data: { ...event, worker_state: info.state, running: info.running } }], actor);
    });
  }

  async workers(): Promise<WorkerInfo[]> {
    const rows = this.stmt('SELECT * FROM workers ORDER BY last_seen DESC').all() as unknown as Record<string, string | number>[];
    return rows.map(workerFromRow);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const r = this.row(id);
    return r ? jobFromRow(r) : null;
  }

  async listJobs(opts: { states?: readonly JobState[]; limit?: number } = {}): Promise<JobRecord[]> {
    const rows = opts.states
      ? this.stmt('SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?)) ORDER BY qseq DESC LIMIT ?').all(
          JSON.stringify(opts.states),
          opts.limit ?? 20,
        )
      : this.stmt('SELECT * FROM jobs ORDER BY qseq DESC LIMIT ?').all(opts.limit ?? 20);
    return (rows as unknown as JobRow[]).map(jobFromRow);
  }

  async jobCounts(): Promise<JobCounts> {
    const counts = emptyCounts();
    for (const r of this.stmt('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[]) counts[r.state] = Number(r.n);
    return counts;
  }

  async ledgerHead(): Promise<LedgerHead | null> {
    return this.head();
  }

  async readLedger(afterSeq: number, limit: number): Promise<StoredRecord[]> {
    return (this.stmt('SELECT seq, body, hash FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as unknown as StoredRecord[]).map((r) => ({
      seq: Number(r.seq),
      body: r.body,
      hash: r.hash,
    }));
  }

  async *ledgerPages(pageSize = 5000): AsyncIterable<StoredRecord[]> {
    const s = this.db.prepare('SELECT seq, body, hash FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?');
    s.setReturnArrays(true);
    let after = 0;
    for (;;) {
      const rows = s.all(after, pageSize) as unknown as [number, string, string][];
      if (rows.length === 0) return;
      const page: StoredRecord[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as [number, string, string];
        page[i] = { seq: r[0], body: r[1], hash: r[2] };
      }
      after = page[page.length - 1]?.seq as number;
      yield page;
      if (rows.length < pageSize) return;
    }
  }

  async jobEvents(jobId: string): Promise<StoredRecord[]> {
    return this.stmt('SELECT seq, body, hash FROM ledger WHERE job_id = ? ORDER BY seq').all(jobId) as unknown as StoredRecord[];
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
