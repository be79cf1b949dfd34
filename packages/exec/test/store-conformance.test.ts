/**
 * The store conformance suite (SPEC §5): one table of behaviours, run against the embedded SQLite
 * store and a real Postgres cluster started for this file.
 */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { type Actor, canonicalJson, hole, holeText, sealRecord } from '../src/ledger/record.js';
import { verifyRecords } from '../src/ledger/verify.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ExecStore, NewJob } from '../src/store/types.js';
import { usePostgres } from './support/postgres.js';
import { freshStore, STORE_KINDS, type StoreOpener } from './support/stores.js';

const pg = usePostgres();
const A: Actor = { workerId: 'w-a', host: 'host-a' };
const B: Actor = { workerId: 'w-b', host: 'host-b' };
const job = (type = 'noop_task', extra: Partial<NewJob> = {}): NewJob => ({ type, params: {}, maxAttempts: 3, timeoutSec: 60, ...extra });
const TYPES = ['noop_task', 'other_task'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventTypes(store: ExecStore, jobId: string): Promise<string[]> {
  return (await store.jobEvents(jobId)).map((r) => JSON.parse(r.body).type);
}

/** The chain verifies, and every body is exactly the canonical JSON of its record. */
async function chainOk(store: ExecStore): Promise<void> {
  const report = await verifyRecords(store.ledgerPages(7));
  expect(report.problem).toBeUndefined();
  expect(report.ok).toBe(true);
  for await (const page of store.ledgerPages()) for (const r of page) expect(canonicalJson(JSON.parse(r.body))).toBe(r.body);
}

type Case = [name: string, body: (open: StoreOpener) => Promise<void>];

const cases: Case[] = [
  [
    'claims oldest first, sets a lease, and records enqueue and claim in the chain',
    async (open) => {
      const s = await open();
      const [a, b] = await s.enqueue([job(), job()], A);
      expect(a?.state).toBe('queued');
      const c = await s.claim(B, { leaseSec: 30, types: TYPES });
      expect(c.killSwitch).toBe(false);
      expect(c.jobs.map((j) => j.id)).toEqual([a?.id]);
      const got = c.jobs[0];
      expect(got?.state).toBe('running');
      expect(got?.attempts).toBe(1);
      expect(got?.lease?.owner).toBe('w-b');
      expect(got?.lease?.host).toBe('host-b');
      expect(await eventTypes(s, a?.id as string)).toEqual(['enqueue', 'claim']);
      expect(await eventTypes(s, b?.id as string)).toEqual(['enqueue']);
      const claim = JSON.parse((await s.jobEvents(a?.id as string))[1]?.body as string);
      expect(claim).toMatchObject({ worker_id: 'w-b', host: 'host-b', type: 'claim', job_id: a?.id, data: { attempt: 1 } });
      expect(claim.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await chainOk(s);
    },
  ],
  [
    'claims only the types asked for, and nothing from an empty queue',
    async (open) => {
      const s = await open();
      expect((await s.claim(A, { leaseSec: 30, types: TYPES })).jobs).toEqual([]);
      await s.enqueue([job('third_task')], A);
      expect((await s.claim(A, { leaseSec: 30, types: TYPES })).jobs).toEqual([]);
      expect((await s.claim(A, { leaseSec: 30, types: ['third_task'] })).jobs).toHaveLength(1);
    },
  ],
  [
    'claims several at once when asked, each with its own lease',
    async (open) => {
      const s = await open();
      await s.enqueue([job(), job(), job()], A);
      const c = await s.claim(A, { leaseSec: 30, types: TYPES, limit: 2 });
      expect(c.jobs).toHaveLength(2);
      expect(new Set(c.jobs.map((j) => j.lease?.id)).size).toBe(2);
      expect((await s.jobCounts()).queued).toBe(1);
    },
  ],
  [
    'the kill switch stops claims until it is turned off, and both changes are recorded',
    async (open) => {
      const s = await open();
      await s.enqueue([job()], A);
      const on = await s.setKillSwitch(true, A, 'incident 42');
      expect(on).toMatchObject({ on: true, reason: 'incident 42', by: 'w-a' });
      expect(await s.claim(B, { leaseSec: 30, types: TYPES })).toEqual({ jobs: [], killSwitch: true });
      expect((await s.killSwitch()).on).toBe(true);
      await s.setKillSwitch(false, A, null);
      expect((await s.claim(B, { leaseSec: 30, types: TYPES })).jobs).toHaveLength(1);
      const kinds = [];
      for await (const page of s.ledgerPages()) for (const r of page) kinds.push(JSON.parse(r.body).type);
      expect(kinds).toEqual(['enqueue', 'kill_switch', 'kill_switch', 'claim']);
      await chainOk(s);
    },
  ],
  [
    'a heartbeat extends the lease; a stranger’s heartbeat is told the lease is lost',
    async (open) => {
      const s = await open();
      await s.enqueue([job()], A);
      const j = (await s.claim(A, { leaseSec: 1, types: TYPES })).jobs[0]!;
      const lease = { jobId: j.id, leaseId: j.lease!.id };
      expect(await s.heartbeat(lease, A, 60, { step: 1 })).toBe('ok');
      const after = await s.getJob(j.id);
      expect(after!.lease!.expiresMs).toBeGreaterThan(j.lease!.expiresMs);
      expect(await s.heartbeat({ jobId: j.id, leaseId: 'not-mine' }, B, 60)).toBe('lost');
      expect(await s.heartbeat({ jobId: 'j_unknown', leaseId: 'x' }, B, 60)).toBe('lost');
      expect(await eventTypes(s, j.id)).toEqual(['enqueue', 'claim', 'heartbeat']);
    },
  ],
  [
    "records each claim and each end with the job's values and the result as given (quotes, backslashes, dollar signs, non-ASCII)",
    async (open) => {
      const s = await open();
      const [a, b, c] = await s.enqueue([job(), job('other_task'), job()], A);
      const result = { text: 'q"uote \\ $& $1 $$ é \u{1f600}', n: [1, 2.5, -3], nested: { z: null, a: true } };
      const events = async (id: string) =>
        (await s.jobEvents(id)).slice(1).map((r) => JSON.parse(r.body) as { type: string; data: unknown; worker_id: string });
      const first = (await s.claim(B, { leaseSec: 45, types: TYPES })).jobs[0]!;
      expect(await s.finish({ jobId: first.id, leaseId: first.lease!.id }, B, { state: 'completed', result })).toBe('ok');
      expect((await events(a!.id)).map((e) => [e.type, e.data, e.worker_id])).toEqual([
        ['claim', { attempt: 1, job_type: 'noop_task', lease_sec: 45 }, 'w-b'],
        ['complete', { attempt: 1, result }, 'w-b'],
      ]);
      const second = (await s.claim(A, { leaseSec: 30, types: TYPES })).jobs[0]!;
      const end = { state: 'failed' as const, error: 'exit 1: "$&"', result: { code: 'x$1' } };
      if (s.finishAndClaim) {
        const r = await s.finishAndClaim({ jobId: second.id, leaseId: second.lease!.id }, A, end, { leaseSec: 20, types: TYPES });
        expect(r.next.jobs.map((j) => j.id)).toEqual([c!.id]);
        expect((await events(c!.id)).map((e) => [e.type, e.data])).toEqual([['claim', { attempt: 1, job_type: 'noop_task', lease_sec: 20 }]]);
      } else expect(await s.finish({ jobId: second.id, leaseId: second.lease!.id }, A, end)).toBe('ok');
      expect((await events(b!.id)).map((e) => [e.type, e.data])).toEqual([
        ['claim', { attempt: 1, job_type: 'other_task', lease_sec: 30 }],
        ['fail', { state: 'failed', attempt: 1, error: 'exit 1: "$&"', result: { code: 'x$1' } }],
      ]);
      await chainOk(s);
    },
  ],
  [
    'finishAndClaim (where a store has it) records the end and claims the next jobs in one commit; the kill switch stops the claim, not the finish',
    async (open) => {
      const s = await open();
      if (!s.finishAndClaim) return;
      const [a, b, c] = await s.enqueue([job(), job(), job()], A);
      const j = (await s.claim(A, { leaseSec: 30, types: TYPES })).jobs[0]!;
      expect(j.id).toBe(a?.id);
      const lease = { jobId: j.id, leaseId: j.lease!.id };
      const r = await s.finishAndClaim(lease, A, { state: 'completed', result: { n: 1 } }, { leaseSec: 30, types: TYPES });
      expect(r.status).toBe('ok');
      expect(r.next.killSwitch).toBe(false);
      expect(r.next.jobs.map((x) => [x.id, x.state, x.attempts, x.lease?.owner])).toEqual([[b?.id, 'running', 1, 'w-a']]);
      expect(await s.getJob(j.id)).toMatchObject({ state: 'completed', result: { n: 1 }, lease: null });
      expect(await eventTypes(s, j.id)).toEqual(['enqueue', 'claim', 'complete']);
      expect(await eventTypes(s, b?.id as string)).toEqual(['enqueue', 'claim']);
      // A retried finish is still idempotent (and a lost lease is reported), whatever the claim finds.
      expect((await s.finishAndClaim(lease, A, { state: 'completed', result: { n: 1 } }, { leaseSec: 30, types: ['none_task'] })).status).toBe('ok');
      expect(
        (await s.finishAndClaim({ jobId: b?.id as string, leaseId: 'other' }, B, { state: 'completed' }, { leaseSec: 30, types: ['none_task'] })).status,
      ).toBe('lost');
      expect(await eventTypes(s, j.id)).toEqual(['enqueue', 'claim', 'complete']);
      await s.setKillSwitch(true, A, 'test');
      const nb = r.next.jobs[0]!;
      const k = await s.finishAndClaim({ jobId: nb.id, leaseId: nb.lease!.id }, A, { state: 'failed', error: 'exit 1' }, { leaseSec: 30, types: TYPES });
      expect(k).toEqual({ status: 'ok', next: { jobs: [], killSwitch: true } });
      expect((await s.getJob(nb.id))?.state).toBe('failed');
      expect((await s.getJob(c?.id as string))?.state).toBe('queued');
      await chainOk(s);
    },
  ],
  [
    'finish ends the job once: a retried finish with the same lease is ok and adds nothing; another lease is refused',
    async (open) => {
      const s = await open();
      await s.enqueue([job()], A);
      const j = (await s.claim(A, { leaseSec: 30, types: TYPES })).jobs[0]!;
      const lease = { jobId: j.id, leaseId: j.lease!.id };
      expect(await s.finish({ jobId: j.id, leaseId: 'other' }, B, { state: 'completed' })).toBe('lost');
      expect(await s.finish(lease, A, { state: 'completed', result: { files: 3 } })).toBe('ok');
      expect(await s.finish(lease, A, { state: 'completed', result: { files: 3 } })).toBe('ok');
      const done = await s.getJob(j.id);
      expect(done).toMatchObject({ state: 'completed', result: { files: 3 }, lease: null });
      expect(await eventTypes(s, j.id)).toEqual(['enqueue', 'claim', 'complete']);
      expect(await s.heartbeat(lease, A, 30)).toBe('lost');
    },
  ],
  [
    'failed and timed_out are recorded as fail events with their state and error',
    async (open) => {
      const s = await open();
      await s.enqueue([job(), job()], A);
      const [x, y] = (await s.claim(A, { leaseSec: 30, types: TYPES, limit: 2 })).jobs;
      await s.finish({ jobId: x!.id, leaseId: x!.lease!.id }, A, { state: 'failed', error: 'exit 2' });
      await s.finish({ jobId: y!.id, leaseId: y!.lease!.id }, A, { state: 'timed_out', error: 'runtime budget 1 s exceeded' });
      expect(await s.getJob(x!.id)).toMatchObject({ state: 'failed', error: 'exit 2' });
      const last = (await s.jobEvents(y!.id)).at(-1)!;
      expect(JSON.parse(last.body)).toMatchObject({ type: 'fail', data: { state: 'timed_out', error: 'runtime budget 1 s exceeded' } });
    },
  ],
  [
    'an expired lease is requeued with its attempt counted; the old holder can no longer finish',
    async (open) => {
      const s = await open();
      await s.enqueue([job()], A);
      const j = (await s.claim(A, { leaseSec: 0.05, types: TYPES })).jobs[0]!;
      expect(await s.reapExpired(B)).toEqual([]);
      await sleep(120);
      expect(await s.reapExpired(B)).toEqual([{ jobId: j.id, state: 'queued', attempts: 1 }]);
      expect(await s.finish({ jobId: j.id, leaseId: j.lease!.id }, A, { state: 'completed' })).toBe('lost');
      const again = (await s.claim(B, { leaseSec: 30, types: TYPES })).jobs[0]!;
      expect(again.id).toBe(j.id);
      expect(again.attempts).toBe(2);
      const requeue = JSON.parse((await s.jobEvents(j.id))[2]!.body);
      expect(requeue).toMatchObject({ type: 'requeue', worker_id: 'w-b', data: { reason: 'lease_expired', attempts: 1, previous_owner: 'w-a' } });
      await chainOk(s);
    },
  ],
  [
    'a job whose lease expires on its last attempt is dead',
    async (open) => {
      const s = await open();
      await s.enqueue([job('noop_task', { maxAttempts: 1 })], A);
      const j = (await s.claim(A, { leaseSec: 0.05, types: TYPES })).jobs[0]!;
      await sleep(120);
      expect(await s.reapExpired(B)).toEqual([{ jobId: j.id, state: 'dead', attempts: 1 }]);
      expect(await s.getJob(j.id)).toMatchObject({ state: 'dead', error: 'lease expired after 1 attempts' });
      expect((await s.claim(B, { leaseSec: 30, types: TYPES })).jobs).toEqual([]);
      expect(JSON.parse((await s.jobEvents(j.id)).at(-1)!.body)).toMatchObject({ type: 'fail', data: { state: 'dead', reason: 'lease_expired' } });
    },
  ],
  [
    'release puts a running job back without counting the attempt',
    async (open) => {
      const s = await open();
      await s.enqueue([job()], A);
      const j = (await s.claim(A, { leaseSec: 30, types: TYPES })).jobs[0]!;
      expect(await s.release({ jobId: j.id, leaseId: j.lease!.id }, A, 'worker_shutdown')).toBe('ok');
      expect(await s.getJob(j.id)).toMatchObject({ state: 'queued', attempts: 0, lease: null });
      expect(await s.release({ jobId: j.id, leaseId: j.lease!.id }, A, 'worker_shutdown')).toBe('lost');
      expect(await eventTypes(s, j.id)).toEqual(['enqueue', 'claim', 'requeue']);
    },
  ],
  [
    'cancel: a queued job is never claimed; a running job’s holder learns it at its next heartbeat; a finished job is left alone',
    async (open) => {
      const s = await open();
      const [q, r] = await s.enqueue([job(), job()], A);
      const running = (await s.claim(A, { leaseSec: 30, types: TYPES })).jobs[0]!;
      expect(running.id).toBe(q!.id);
      expect((await s.cancel(r!.id, B, 'not needed'))?.state).toBe('cancelled');
      expect((await s.claim(A, { leaseSec: 30, types: TYPES })).jobs).toEqual([]);
      expect((await s.cancel(q!.id, B, 'stop'))?.state).toBe('cancelled');
      const lease = { jobId: q!.id, leaseId: running.lease!.id };
      expect(await s.heartbeat(lease, A, 30)).toBe('cancelled');
      expect(await s.finish(lease, A, { state: 'completed' })).toBe('cancelled');
      expect((await s.cancel(q!.id, B, 'again'))?.state).toBe('cancelled');
      expect(await eventTypes(s, q!.id)).toEqual(['enqueue', 'claim', 'cancel']);
      expect(await s.cancel('j_nope', B, 'x')).toBeNull();
    },
  ],
  [
    'a job change and its event are one transaction: when the event cannot be written, the job is not either',
    async (open) => {
      const s = await open();
      // A BigInt cannot be sealed into the canonical JSON of an event.
      await expect(s.enqueue([job(), { ...job(), params: { n: 1n as unknown as number } }], A)).rejects.toThrow();
      expect(await s.jobCounts()).toMatchObject({ queued: 0 });
      expect(await s.ledgerHead()).toBeNull();
      await s.enqueue([job()], A);
      expect((await s.ledgerHead())?.seq).toBe(1);
    },
  ],
  [
    'appended exec events chain after job events; the head moves',
    async (open) => {
      const s = await open();
      await s.enqueue([job()], A);
      const head = await s.append(
        [
          { type: 'exec.started', data: { argv: ['ls'] } },
          { type: 'exec.finished', data: { returncode: 0 } },
        ],
        { workerId: 'cli', host: 'h' },
      );
      expect(head.seq).toBe(3);
      expect(await s.ledgerHead()).toEqual(head);
      const recs = await s.readLedger(1, 10);
      expect(recs.map((r) => r.seq)).toEqual([2, 3]);
      expect(JSON.parse(recs[1]!.body).prev).toBe(recs[0]!.hash);
      await chainOk(s);
    },
  ],
  [
    'workers are registered by their heartbeats; an idle heartbeat is also an event',
    async (open) => {
      const s = await open();
      await s.workerHeartbeat({ id: 'w-a', host: 'host-a', pid: 11, state: 'idle', running: 0, concurrency: 2 }, A, { idle: true });
      await s.workerHeartbeat({ id: 'w-a', host: 'host-a', pid: 11, state: 'busy', running: 1, concurrency: 2 }, A);
      const ws = await s.workers();
      expect(ws).toHaveLength(1);
      expect(ws[0]).toMatchObject({ id: 'w-a', host: 'host-a', pid: 11, state: 'busy', running: 1, concurrency: 2 });
      const recs = await s.readLedger(0, 10);
      expect(recs).toHaveLength(1);
      expect(JSON.parse(recs[0]!.body)).toMatchObject({ type: 'heartbeat', data: { idle: true, worker_state: 'idle' } });
    },
  ],
  [
    'counts and listings reflect every state',
    async (open) => {
      const s = await open();
      await s.enqueue([job(), job(), job()], A);
      const [x] = (await s.claim(A, { leaseSec: 30, types: TYPES })).jobs;
      await s.finish({ jobId: x!.id, leaseId: x!.lease!.id }, A, { state: 'completed' });
      await s.claim(A, { leaseSec: 30, types: TYPES });
      expect(await s.jobCounts()).toEqual({ queued: 1, running: 1, completed: 1, failed: 0, timed_out: 0, cancelled: 0, dead: 0 });
      expect((await s.listJobs({ states: ['queued'] })).map((j) => j.state)).toEqual(['queued']);
      expect(await s.listJobs({ limit: 2 })).toHaveLength(2);
    },
  ],
  [
    'four connections claiming at once never take the same job',
    async (open) => {
      const stores = await Promise.all([open(), open(), open(), open()]);
      await stores[0]!.enqueue(
        Array.from({ length: 200 }, () => job()),
        A,
      );
      const seen: string[][] = stores.map(() => []);
      await Promise.all(
        stores.map(async (s, i) => {
          const me = { workerId: `w${i}`, host: `h${i}` };
          for (;;) {
            const c = await s.claim(me, { leaseSec: 30, types: TYPES });
            if (c.jobs.length === 0) break;
            for (const j of c.jobs) {
              seen[i]!.push(j.id);
              await s.finish({ jobId: j.id, leaseId: j.lease!.id }, me, { state: 'completed' });
            }
          }
        }),
      );
      const all = seen.flat();
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
      expect((await stores[0]!.jobCounts()).completed).toBe(200);
      await chainOk(stores[0]!);
    },
  ],
  [
    'a result, an error or a reason holding the text of a record’s hole reaches the record as it is',
    async (open) => {
      // Both stores fill holes (attempt, attempts, from) in fragments that also carry the caller's
      // data: only the hole may be filled, never the same text inside the data.
      const s = await open();
      const tricky = (name: string) => `x${hole(name)}y ${holeText(name)} $& \\ "`;
      const [done, failed, released, cancelled] = await s.enqueue([job(), job(), job(), job()], A);
      const lease = async (id: string) => {
        const c = await s.claim(A, { leaseSec: 30, types: TYPES });
        const j = c.jobs[0]!;
        expect(j.id).toBe(id);
        return { jobId: j.id, leaseId: j.lease!.id };
      };
      const result = { note: tricky('attempt'), list: [hole('attempt'), holeText('attempt')] };
      expect(await s.finish(await lease(done!.id), A, { state: 'completed', result })).toBe('ok');
      expect(await s.finish(await lease(failed!.id), A, { state: 'failed', error: tricky('attempt') })).toBe('ok');
      expect(await s.release(await lease(released!.id), A, tricky('attempts'))).toBe('ok');
      expect((await s.cancel(cancelled!.id, A, tricky('from')))?.state).toBe('cancelled');
      const last = async (id: string) => {
        const recs = await s.jobEvents(id);
        return JSON.parse(recs.at(-1)!.body) as { type: string; data: Record<string, unknown> };
      };
      expect(await last(done!.id)).toMatchObject({ type: 'complete', data: { attempt: 1, result } });
      expect(await last(failed!.id)).toMatchObject({ type: 'fail', data: { attempt: 1, error: tricky('attempt') } });
      expect(await last(released!.id)).toMatchObject({ type: 'requeue', data: { attempts: 0, reason: tricky('attempts') } });
      expect(await last(cancelled!.id)).toMatchObject({ type: 'cancel', data: { from: 'queued', reason: tricky('from') } });
      await chainOk(s);
    },
  ],
];

describe.each(STORE_KINDS)('store conformance: %s', (kind) => {
  it.each(cases)('%s', async (_name, body) => {
    const open = freshStore(kind, pg);
    await body(open);
    // Whatever the case did, the ledger it left is a valid chain of canonical records.
    await chainOk(await open());
  });
});

describe('the embedded store’s records', () => {
  it('are the events sealed, also when a job type or a result holds the text of a record’s holes', async () => {
    // The store builds claim and finish records before its write lock with holes for the row's
    // values (attempt, job type, job id): text of the same form in the data must stay as it is.
    const s = await SqliteStore.open(join(testdir(), 'exec.db'));
    const odd = `odd_${hole('job_type')}${hole('attempt')}_task`;
    const [j] = await s.enqueue([job(odd)], A);
    const result = { a: hole('attempt'), j: holeText('job_id'), t: [hole('job_type'), '$&'] };
    const claimed = (await s.claim(B, { leaseSec: 30, types: [odd] })).jobs[0]!;
    const next = await s.finishAndClaim({ jobId: claimed.id, leaseId: claimed.lease!.id }, B, { state: 'completed', result }, { leaseSec: 30, types: [odd] });
    expect(next).toEqual({ status: 'ok', next: { jobs: [], killSwitch: false } });
    const records = await s.jobEvents(j!.id);
    const expected = [
      { type: 'claim', jobId: j!.id, data: { attempt: 1, job_type: odd, lease_sec: 30 } },
      { type: 'complete', jobId: j!.id, data: { attempt: 1, result } },
    ];
    for (const [i, ev] of expected.entries()) {
      const r = records[i + 1]!;
      const { prev, ts } = JSON.parse(r.body) as { prev: string; ts: string };
      expect(r).toEqual(sealRecord({ seq: r.seq - 1, hash: prev }, ev, B, ts));
    }
    await chainOk(s);
    await s.close();
  });
});

describe('the embedded store file', () => {
  const pageSize = (path: string) => {
    const db = new DatabaseSync(path);
    try {
      return (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
    } finally {
      db.close();
    }
  };

  it('is created with 2 KiB pages in WAL mode; a file made before keeps its page size and its data', async () => {
    const dir = testdir();
    const fresh = join(dir, 'new.db');
    const store = await SqliteStore.open(fresh);
    await store.enqueue([job()], A);
    await store.close();
    expect(pageSize(fresh)).toBe(2048);
    const db = new DatabaseSync(fresh);
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    db.close();

    const old = join(dir, 'old.db');
    const made = new DatabaseSync(old);
    made.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)');
    made.close();
    const reopened = await SqliteStore.open(old);
    const [queued] = await reopened.enqueue([job()], A);
    expect((await reopened.getJob(queued?.id as string))?.state).toBe('queued');
    await reopened.close();
    expect(pageSize(old)).toBe(4096);
  });
});
