/**
 * Robustness of the queue with real worker processes (SPEC §10): kill -9 mid-job, many workers on
 * each store, Postgres going away mid-run, workers on several hosts sharing one Postgres queue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { verifyRecords } from '../src/ledger/verify.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ExecStore, NewJob } from '../src/store/types.js';
import { freshSchema, usePostgres } from './support/postgres.js';
import type { WorkerProcessConfig } from './support/worker-main.js';
import { useWorkerBundle, type WorkerProcess } from './support/worker-process.js';

const pg = usePostgres();
const spawnWorker = useWorkerBundle();
const CLI = { workerId: 'cli', host: 'test' };
const stores: ExecStore[] = [];
const procs: WorkerProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const s of stores.splice(0)) await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => Promise<boolean>, what: string, tries = 3000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await sleep(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function start(cfg: WorkerProcessConfig): WorkerProcess {
  const p = spawnWorker(cfg);
  procs.push(p);
  return p;
}

/** Per job: how many claim and complete events the ledger holds; and whether the chain verifies. */
async function audit(store: ExecStore) {
  const claims = new Map<string, number>();
  const completes = new Map<string, number>();
  const claimers = new Map<string, number>();
  const hosts = new Set<string>();
  for await (const page of store.ledgerPages()) {
    for (const r of page) {
      const e = JSON.parse(r.body) as { type: string; job_id?: string; worker_id: string; host: string };
      if (!e.job_id) continue;
      if (e.type === 'claim') {
        claims.set(e.job_id, (claims.get(e.job_id) ?? 0) + 1);
        claimers.set(e.worker_id, (claimers.get(e.worker_id) ?? 0) + 1);
        hosts.add(e.host);
      }
      if (e.type === 'complete') completes.set(e.job_id, (completes.get(e.job_id) ?? 0) + 1);
    }
  }
  const chain = await verifyRecords(store.ledgerPages());
  return { claims, completes, claimers, hosts, chain };
}

async function enqueueMany(store: ExecStore, n: number, job: Omit<NewJob, 'maxAttempts' | 'timeoutSec'> & Partial<NewJob>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, () => ({ maxAttempts: 3, timeoutSec: 600, ...job }));
    ids.push(...(await store.enqueue(batch, CLI)).map((j) => j.id));
  }
  return ids;
}

describe('kill -9 of a worker mid-job, 50 times (embedded store)', () => {
  it('loses no job and completes none twice', async () => {
    const home = testdir();
    const path = join(home, 'exec.db');
    const store = await SqliteStore.open(path);
    stores.push(store);
    const marker = join(home, 'marker');
    const ids = await enqueueMany(store, 60, { type: 'sleep_task', params: { ms: 150, marker }, maxAttempts: 100 });
    const base = { store: { kind: 'sqlite' as const, path }, home, hostId: 'h', pollMs: 10, leaseSec: 0.4, heartbeatSec: 0.1 };
    let killedMidJob = 0;
    for (let i = 0; i < 50; i++) {
      const w = start({ ...base, workerId: `victim-${i}`, concurrency: 2, idleExitSec: 30 });
      // Wait until it holds a running job, then kill it at a random moment of that job.
      await until(
        async () => (await store.listJobs({ states: ['running'], limit: 100 })).some((j) => j.lease?.owner === `victim-${i}`),
        `victim-${i} to claim`,
      );
      await sleep(Math.random() * 120);
      const running = (await store.listJobs({ states: ['running'], limit: 100 })).filter((j) => j.lease?.owner === `victim-${i}`);
      if (running.length > 0) killedMidJob++;
      w.child.kill('SIGKILL');
      expect((await w.exited).signal).toBe('SIGKILL');
    }
    const last = start({ ...base, workerId: 'survivor', concurrency: 4, idleExitSec: 1.5 });
    expect((await last.exited).code).toBe(0);

    const counts = await store.jobCounts();
    expect(counts).toMatchObject({ completed: 60, queued: 0, running: 0, dead: 0, failed: 0 });
    const { completes, chain } = await audit(store);
    expect(ids.every((id) => completes.get(id) === 1)).toBe(true);
    expect(chain.ok).toBe(true);
    expect(killedMidJob).toBeGreaterThanOrEqual(45);
    // The jobs' own marker: every job ran to its end at least once; kills left starts without ends.
    const lines = readFileSync(marker, 'utf8').trim().split('\n');
    const ended = new Set(lines.filter((l) => l.startsWith('end ')).map((l) => l.split(' ')[1]));
    expect(ids.every((id) => ended.has(id))).toBe(true);
  });
});

describe.each(['sqlite', 'postgres'] as const)('4 worker processes × 10,000 jobs (%s)', (kind) => {
  it('no job is claimed twice, every job completes once', async () => {
    const home = testdir();
    const cfg =
      kind === 'sqlite' ? { kind: 'sqlite' as const, path: join(home, 'exec.db') } : { kind: 'postgres' as const, url: pg().url, schema: freshSchema() };
    const store = cfg.kind === 'sqlite' ? await SqliteStore.open(cfg.path) : await PostgresStore.open(cfg.url, { schema: cfg.schema });
    stores.push(store);
    const ids = await enqueueMany(store, 10_000, { type: 'noop_task', params: {} });
    const workers = Array.from({ length: 4 }, (_, i) => start({ store: cfg, home, hostId: `host-${i}`, workerId: `w${i}`, idleExitSec: 0.5, pollMs: 5 }));
    for (const w of workers) expect((await w.exited).code).toBe(0);
    const { claims, completes, claimers, chain } = await audit(store);
    expect(claims.size).toBe(10_000);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    expect(ids.every((id) => completes.get(id) === 1)).toBe(true);
    expect([...claimers.keys()].sort()).toEqual(['w0', 'w1', 'w2', 'w3']);
    expect(await store.jobCounts()).toMatchObject({ completed: 10_000, queued: 0, running: 0 });
    expect(chain.ok).toBe(true);
  });
});

describe('Postgres', () => {
  it('stopped mid-run: workers back off, recover when it is back, and nothing is lost', async () => {
    const home = testdir();
    const schema = freshSchema();
    const cfg = { kind: 'postgres' as const, url: pg().url, schema };
    const store = await PostgresStore.open(cfg.url, { schema });
    stores.push(store);
    const ids = await enqueueMany(store, 400, { type: 'sleep_task', params: { ms: 5 } });
    const workers = [0, 1].map((i) => start({ store: cfg, home, hostId: `host-${i}`, workerId: `w${i}`, idleExitSec: 2, leaseSec: 30, pollMs: 10 }));
    await until(async () => (await store.jobCounts()).completed >= 50, '50 completions');
    await store.close();
    stores.pop();
    pg().stop('fast');
    // Both workers notice and back off (they say so on stderr) instead of dying.
    await sleep(1500);
    for (const w of workers) expect(w.child.exitCode).toBeNull();
    pg().start();
    const results = await Promise.all(workers.map((w) => w.exited));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/store (unavailable|write)/);
      expect(r.stderr).toMatch(/store reachable again/);
    }
    const after = await PostgresStore.open(cfg.url, { schema });
    stores.push(after);
    expect(await after.jobCounts()).toMatchObject({ completed: 400, queued: 0, running: 0, dead: 0 });
    const { completes, chain } = await audit(after);
    expect(ids.every((id) => completes.get(id) === 1)).toBe(true);
    expect(chain.ok).toBe(true);
  });

  it('three worker processes with different host ids share one queue', async () => {
    const home = testdir();
    const schema = freshSchema();
    const cfg = { kind: 'postgres' as const, url: pg().url, schema };
    const store = await PostgresStore.open(cfg.url, { schema });
    stores.push(store);
    const ids = await enqueueMany(store, 300, { type: 'sleep_task', params: { ms: 5 } });
    const workers = ['alpha', 'beta', 'gamma'].map((h) => start({ store: cfg, home: join(home, h), hostId: h, idleExitSec: 0.8, pollMs: 10 }));
    for (const w of workers) expect((await w.exited).code).toBe(0);
    const { claims, completes, hosts } = await audit(store);
    expect([...hosts].sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    expect(ids.every((id) => completes.get(id) === 1)).toBe(true);
    expect((await store.workers()).map((w) => w.host).sort()).toEqual(['alpha', 'beta', 'gamma']);
  });
});
