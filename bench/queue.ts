/**
 * Queue benchmark (SPEC §9): no-op jobs per second through enqueue → claim → complete, with 2 workers
 * (worker threads, one store connection each) while the main thread enqueues in batches of 100 —
 * on the embedded store and on Postgres. Beside each, in the same run, the same SQL without our
 * layers: the same statements and transactions (queue rows and ledger rows; on SQLite a worker
 * finishes a job and claims its next one in one transaction, as the store's finishAndClaim does),
 * but no Worker loop, no canonical JSON or hashing in JS, no row mapping, no artifact files — and,
 * on SQLite, plain node:sqlite with the store's connection pragmas (WAL, synchronous=NORMAL),
 * waiting for the write lock with SQLite's own busy handler. The raw SQLite rows hold values of the
 * sizes the store writes (record bodies as sealed, 64-digit hashes, ISO times, UUID leases), made
 * once rather than per job; the raw Postgres statements build their bodies in SQL as the store does.
 * Targets: ≥ 2,000 jobs/s embedded, and ≥ 60% of raw. Postgres runs on a throwaway local cluster
 * with fsync off (as the tests do); it is NOT_RUN when the server binaries are missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker as Thread, workerData } from 'node:worker_threads';
import { checkoutRepo } from '../packages/exec/src/jobs/checkout.js';
import type { JobHandler } from '../packages/exec/src/jobs/handler.js';
import { PostgresStore } from '../packages/exec/src/store/postgres.js';
import { QUEUE_SQL } from '../packages/exec/src/store/postgres-sql.js';
import { SQLITE_CONNECTION_PRAGMAS, SqliteStore } from '../packages/exec/src/store/sqlite.js';
import type { ExecStore } from '../packages/exec/src/store/types.js';
import { Worker } from '../packages/exec/src/worker/worker.js';
import { DEFAULT_POLICY_PATH, type JobAllowlist } from '../packages/policy/src/index.js';

interface PgClient {
  connect(): Promise<void>;
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
/** `pg` as the exec package resolves it (the workspace root does not depend on it). */
function pgModule(): { Client: new (cfg: { connectionString: string; options: string }) => PgClient } {
  // bench/queue.ts and its bundle .bench-out/queue.mjs are both one level below the root.
  return createRequire(fileURLToPath(new URL('../packages/exec/package.json', import.meta.url)))('pg');
}

const quick = process.env.BENCH_QUICK === '1';
const N = quick ? 1500 : 12_000;
const RUNS = quick ? 1 : 3;

type Target = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };
interface ThreadJob {
  mode: 'ours' | 'raw';
  target: Target;
  home: string;
  expect: number;
  index: number;
}

const ALLOWLIST: JobAllowlist = {
  version: 1,
  jobs: {
    noop_task: {
      handler: 'builtin',
      allowed_params: {},
      requires_repo_allowlist: false,
      subprocess: false,
      host: 'gateway',
      timeout_sec: 60,
      max_attempts: 3,
      budget: {},
    },
  },
};
const noop: JobHandler = async () => ({ state: 'completed', result: {} });

async function open(t: Target): Promise<ExecStore> {
  return t.kind === 'sqlite' ? SqliteStore.open(t.path) : PostgresStore.open(t.url, { schema: t.schema, maxConnections: 3 });
}

// ---- worker threads -------------------------------------------------------------------------

async function threadOurs(w: ThreadJob): Promise<void> {
  const store = await open(w.target);
  const worker = new Worker({
    store,
    allowlists: { jobs: ALLOWLIST, repos: { version: 1, repos: {} } },
    handlers: new Map([['noop_task', noop]]),
    runtime: {
      pathDirs: DEFAULT_POLICY_PATH,
      sandbox: { backend: 'bwrap', available: false, reason: 'bench' },
      openclawHome: w.home,
      artifactsDir: join(w.home, 'artifacts'),
      mirrorsDir: join(w.home, 'mirrors'),
      userHome: w.home,
      checkout: checkoutRepo,
    },
    hostId: `bench-${w.index}`,
    pollMs: 1,
    leaseSec: 60,
    heartbeatSec: 30,
    onEvent: (e) => {
      if (e.type === 'finished') parentPort?.postMessage('done');
    },
  });
  parentPort?.on('message', (m) => m === 'stop' && worker.stop('now'));
  await worker.run();
  await store.close();
}

/**
 * The values the raw SQLite baseline writes: of the sizes the store writes, made once. A ledger body
 * is a record as the store seals it (`{"data":…,"host":…,"job_id":…,"prev":…,"seq":…,"ts":…,"type":…,
 * "worker_id":…}`, a 5-digit seq) and its hash 64 hex digits; a lease a UUID; times ISO-8601.
 */
const RAW_TS = new Date(0).toISOString();
const RAW_LEASE = '00000000-0000-4000-8000-000000000000';
const RAW_HASH = '0'.repeat(64);
const rawBody = (type: string, data: string, workerId: string, host: string) =>
  `{"data":${data},"host":"${host}","job_id":"j_${'0'.repeat(24)}","prev":"${RAW_HASH}","seq":10000,"ts":"${RAW_TS}","type":"${type}","worker_id":"${workerId}"}`;
/** A job id of the store's form: time-ordered, 26 characters. */
const rawJobId = (k: number) => `j_${Date.now().toString(36)}${k.toString(16).padStart(16, '0')}`;

/** The embedded store's statements and transactions, run directly. */
function threadRawSqlite(w: ThreadJob & { target: { kind: 'sqlite' } }): void {
  const db = new DatabaseSync(w.target.path, { timeout: 10_000 });
  db.exec(SQLITE_CONNECTION_PRAGMAS);
  const pick = db.prepare(`SELECT qseq FROM jobs WHERE state = 'queued' AND type IN (SELECT value FROM json_each(?)) ORDER BY qseq LIMIT ?`);
  const ks = db.prepare(`SELECT value, by, updated_at FROM control WHERE key = 'kill_switch'`);
  const claim = db.prepare(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_id = ?, lease_owner = ?, lease_host = ?, lease_expires_ms = ?, updated_at = ? WHERE qseq = ? AND state = 'queued' RETURNING *`,
  );
  const head = db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
  const ins = db.prepare('INSERT INTO ledger (seq, type, job_id, body, hash) VALUES (?, ?, ?, ?, ?)');
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?');
  const fin = db.prepare('UPDATE jobs SET state = ?, result = ?, error = ?, lease_expires_ms = NULL, updated_at = ? WHERE id = ?');
  // The worker's id and host as the Worker makes them (`${host}:${pid}:${6 random}`).
  const host = `bench-${w.index}`;
  const workerId = `${host}:${process.pid}:abcdef`;
  const claimBody = rawBody('claim', '{"attempt":1,"job_type":"noop_task","lease_sec":60}', workerId, host);
  const completeBody = rawBody('complete', '{"attempt":1,"result":{}}', workerId, host);
  // Plain node:sqlite: SQLite's own busy handler (the connection's timeout) waits for the lock.
  const tx = <T>(fn: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    const out = fn();
    db.exec('COMMIT');
    return out;
  };
  // The claim inside a transaction (the store's claimIn); `seq`: the head this transaction already
  // wrote (the store keeps it rather than reading it again).
  const claimIn = (seq?: number): string | undefined => {
    if (ks.get() !== undefined) return undefined;
    const c = pick.get('["noop_task"]', 1) as { qseq: number } | undefined;
    if (!c) return undefined;
    const r = claim.get(RAW_LEASE, workerId, host, Date.now() + 60_000, RAW_TS, c.qseq) as { id: string };
    ins.run((seq ?? (head.get() as { seq: number }).seq) + 1, 'claim', r.id, claimBody, RAW_HASH);
    return r.id;
  };
  let done = 0;
  let id: string | undefined;
  while (done < w.expect) {
    if (id === undefined) {
      // Nothing in hand: look outside a transaction first, then claim alone (the store's claim).
      if (ks.get() !== undefined) break;
      if (pick.get('["noop_task"]', 1) === undefined) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        if (globalThis.__stop) break;
        continue;
      }
      id = tx(() => claimIn());
      continue;
    }
    // The no-op job ran: finish it and claim the next one in the same transaction (the store's finishAndClaim).
    const finished = id;
    id = tx(() => {
      row.get(finished);
      fin.run('completed', '{}', null, RAW_TS, finished);
      const h = head.get() as { seq: number };
      ins.run(h.seq + 1, 'complete', finished, completeBody, RAW_HASH);
      return claimIn(h.seq + 1);
    });
    done++;
    parentPort?.postMessage('done');
  }
  db.close();
}

/** The Postgres store's own statements (QUEUE_SQL), with fixed parameters (record fragments holding the holes the statements fill, as the store's do). */
async function threadRawPostgres(w: ThreadJob & { target: { kind: 'postgres' } }): Promise<void> {
  const c = new (pgModule().Client)({
    connectionString: w.target.url,
    options: `-c enable_bitmapscan=off -c plan_cache_mode=force_generic_plan -c search_path=${w.target.schema}`,
  });
  await c.connect();
  const H = (n: string) => JSON.stringify(`\u0000${n}\u0000`);
  let done = 0;
  let stop = false;
  parentPort?.on('message', (m) => m === 'stop' && (stop = true));
  while (done < w.expect && !stop) {
    const r = await c.query({
      name: 'claim',
      text: QUEUE_SQL.claim,
      values: [
        ['noop_task'],
        1,
        'raw',
        'h',
        60,
        `{"data":{"attempt":${H('attempt')},"job_type":${H('job_type')}},"job_id":${H('job_id')}`,
        '}',
        H('job_id'),
        H('attempt'),
        H('job_type'),
      ],
    });
    const jobs = r.rows[0]?.jobs as { id: string; lease_id: string }[];
    if (jobs.length === 0) {
      await new Promise((res) => setTimeout(res, 1));
      continue;
    }
    for (const j of jobs) {
      await c.query({
        name: 'finish',
        text: QUEUE_SQL.finish,
        values: [j.id, j.lease_id, 'completed', null, null, 'complete', `{"data":{"attempt":${H('attempt')}`, '}}', H('attempt')],
      });
      done++;
      parentPort?.postMessage('done');
    }
  }
  await c.end();
}

declare global {
  var __stop: boolean | undefined;
}

// ---- main -----------------------------------------------------------------------------------

/** Enqueues a batch: through the store (ours) or the same INSERTs raw. */
async function producerFor(mode: 'ours' | 'raw', target: Target): Promise<{ enqueue(n: number): Promise<void>; close(): Promise<void> }> {
  const actor = { workerId: 'bench', host: 'bench' };
  const job = { type: 'noop_task', params: {}, maxAttempts: 3, timeoutSec: 60 };
  if (mode === 'ours') {
    const store = await open(target);
    return {
      enqueue: async (n) =>
        void (await store.enqueue(
          Array.from({ length: n }, () => job),
          actor,
        )),
      close: () => store.close(),
    };
  }
  let k = 0;
  const ids = (n: number) => Array.from({ length: n }, () => rawJobId(k++));
  if (target.kind === 'sqlite') {
    const db = new DatabaseSync(target.path, { timeout: 10_000 });
    db.exec(SQLITE_CONNECTION_PRAGMAS);
    const insJob = db.prepare(
      `INSERT INTO jobs (id, type, params, repo, ref, state, attempts, max_attempts, timeout_sec, created_at, updated_at) VALUES (?, 'noop_task', '{}', NULL, NULL, 'queued', 0, 3, 60, ?, ?) RETURNING *`,
    );
    const enqueueBody = rawBody('enqueue', '{"job_type":"noop_task","max_attempts":3,"params":{},"timeout_sec":60}', actor.workerId, actor.host);
    const head = db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
    const ins = db.prepare('INSERT INTO ledger (seq, type, job_id, body, hash) VALUES (?, ?, ?, ?, ?)');
    return {
      enqueue: async (n) => {
        db.exec('BEGIN IMMEDIATE');
        let seq = ((head.get() as { seq: number } | undefined)?.seq ?? 0) + 1;
        for (const id of ids(n)) {
          insJob.get(id, RAW_TS, RAW_TS);
          ins.run(seq++, 'enqueue', id, enqueueBody, RAW_HASH);
        }
        db.exec('COMMIT');
      },
      close: async () => db.close(),
    };
  }
  const c = new (pgModule().Client)({ connectionString: target.url, options: `-c search_path=${target.schema}` });
  await c.connect();
  return {
    enqueue: async (n) => {
      const batch = ids(n);
      const many = <T>(v: T) => batch.map(() => v);
      await c.query({
        name: 'enqueue',
        text: QUEUE_SQL.enqueue,
        values: [
          many('enqueue'),
          batch,
          many('{"data":{},"host":"h","prev":"'),
          many('","type":"enqueue","worker_id":"raw"}'),
          batch,
          many('noop_task'),
          many('{}'),
          many(null),
          many(null),
          many(3),
          many(60),
        ],
      });
    },
    close: () => c.end(),
  };
}

async function measure(mode: 'ours' | 'raw', target: Target, home: string): Promise<number> {
  const producer = await producerFor(mode, target);
  let completed = 0;
  const threads = [0, 1].map((index) => new Thread(new URL(import.meta.url), { workerData: { mode, target, home, expect: N, index } satisfies ThreadJob }));
  const finished = new Promise<void>((resolve, reject) => {
    for (const t of threads) {
      t.on('message', () => {
        if (++completed === N) resolve();
      });
      t.on('error', reject);
    }
  });
  const start = performance.now();
  for (let i = 0; i < N; i += 100) {
    await producer.enqueue(Math.min(100, N - i));
    await new Promise((r) => setImmediate(r));
  }
  await finished;
  const seconds = (performance.now() - start) / 1000;
  for (const t of threads) t.postMessage('stop');
  await Promise.all(threads.map((t) => t.terminate()));
  await producer.close();
  return N / seconds;
}

async function bench(kind: 'sqlite' | 'postgres', url?: string): Promise<{ ours: number; raw: number }> {
  const best = { ours: 0, raw: 0 };
  for (let run = 0; run < RUNS; run++) {
    for (const mode of ['raw', 'ours'] as const) {
      const home = mkdtempSync(join(tmpdir(), 'openclaw-bench-queue-'));
      try {
        const target: Target =
          kind === 'sqlite' ? { kind, path: join(home, 'exec.db') } : { kind, url: url as string, schema: `b_${mode}_${run}_${process.pid}` };
        (await open(target)).close();
        const rate = await measure(mode, target, home);
        best[mode] = Math.max(best[mode], rate);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }
  }
  return best;
}

function report(kind: string, r: { ours: number; raw: number }, target?: number): void {
  const ratio = r.ours / r.raw;
  const targets = [`≥ 60% of raw: ${ratio >= 0.6 ? 'met' : 'NOT met'}`];
  if (target) targets.unshift(`≥ ${target.toLocaleString('en')}/s: ${r.ours >= target ? 'met' : 'NOT met'}`);
  console.log(
    `queue ${kind.padEnd(8)} ours ${Math.round(r.ours).toLocaleString('en').padStart(6)} jobs/s | raw SQL ${Math.round(r.raw).toLocaleString('en').padStart(6)} jobs/s | ${(ratio * 100).toFixed(0)}% of raw | ${targets.join('; ')}`,
  );
}

if (!isMainThread) {
  const w = workerData as ThreadJob;
  if (w.mode === 'ours') await threadOurs(w);
  else if (w.target.kind === 'sqlite') {
    parentPort?.on('message', (m) => m === 'stop' && (globalThis.__stop = true));
    threadRawSqlite(w as ThreadJob & { target: { kind: 'sqlite' } });
  } else await threadRawPostgres(w as ThreadJob & { target: { kind: 'postgres' } });
} else {
  console.log(`${N.toLocaleString('en')} no-op jobs per measurement, 2 worker threads, best of ${RUNS} (this machine: other work shares the CPU)`);
  report('embedded', await bench('sqlite'), 2000);
  let cluster: { url: string; destroy(): void } | undefined;
  try {
    const { startPostgres } = await import('../test/support/pg-cluster.js');
    cluster = await startPostgres();
  } catch (e) {
    console.log(`queue postgres NOT_RUN: ${(e as Error).message.split('\n')[0]}`);
  }
  if (cluster) {
    try {
      report('postgres', await bench('postgres', cluster.url));
    } finally {
      cluster.destroy();
    }
  }
}
