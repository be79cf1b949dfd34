/** The worker loop in process against the embedded store: budgets, leases, cancel, kill switch, stop. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { verifyRecords } from '../src/ledger/verify.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ExecStore, NewJob } from '../src/store/types.js';
import { Worker, type WorkerEvent, type WorkerOptions } from '../src/worker/worker.js';
import { jobs, repos, spec } from './support/allowlists.js';
import { testHandlers, testJobs } from './support/test-handlers.js';
import { runtimeFor } from './support/worker.js';

const CLI = { workerId: 'cli', host: 'test' };
const stores: ExecStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function setup() {
  const home = testdir();
  const store = await SqliteStore.open(join(home, 'exec.db'));
  stores.push(store);
  const allowlists = { jobs: testJobs, repos: repos({}) };
  const enqueue = (type: string, params: Record<string, string | number> = {}, extra: Partial<NewJob> = {}) =>
    store.enqueue([{ type, params, maxAttempts: 3, timeoutSec: 600, ...extra }], CLI).then((j) => j[0]!);
  const worker = (opts: Partial<WorkerOptions> = {}) =>
    new Worker({ store, allowlists, handlers: testHandlers, runtime: runtimeFor(home), pollMs: 20, hostId: 'test-host', ...opts });
  const types = async (jobId: string) => (await store.jobEvents(jobId)).map((r) => JSON.parse(r.body).type);
  return { home, store, enqueue, worker, types, allowlists };
}

const until = async (cond: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
};

describe('worker', () => {
  it('--once claims one job, runs it, records it and exits', async () => {
    const { enqueue, worker, store, types, home } = await setup();
    const a = await enqueue('noop_task');
    const b = await enqueue('noop_task');
    const s = await worker({ once: true }).run();
    expect(s).toMatchObject({ claimed: 1, stoppedBy: 'once', jobs: [{ id: a.id, state: 'completed', artifactDir: null }] });
    // A job that wrote nothing has no artifact directory: its evidence is the row and the ledger.
    expect(existsSync(join(home, 'artifacts', a.id))).toBe(false);
    expect(await types(a.id)).toEqual(['enqueue', 'claim', 'complete']);
    expect((await store.getJob(b.id))?.state).toBe('queued');
  });

  it('--once with an empty queue exits at once', async () => {
    const { worker } = await setup();
    expect(await worker({ once: true }).run()).toMatchObject({ claimed: 0, stoppedBy: 'once', jobs: [] });
  });

  it('runs up to --concurrency jobs at the same time', async () => {
    const { enqueue, worker, home } = await setup();
    const marker = join(home, 'marker');
    for (let i = 0; i < 4; i++) await enqueue('sleep_task', { ms: 300, marker });
    let maxRunning = 0;
    let running = 0;
    const s = await worker({
      concurrency: 3,
      idleExitSec: 0.2,
      onEvent: (e) => {
        if (e.type === 'claimed') maxRunning = Math.max(maxRunning, ++running);
        if (e.type === 'finished') running--;
      },
    }).run();
    expect(s.jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(maxRunning).toBe(3);
  });

  it('the runtime budget ends a job as timed_out', async () => {
    const { store, worker, allowlists, home } = await setup();
    const strict = {
      ...allowlists,
      jobs: jobs({ ...testJobs.jobs, sleep_task: spec({ allowed_params: testJobs.jobs.sleep_task!.allowed_params, budget: { max_runtime_sec: 1 } }) }),
    };
    const [j] = await store.enqueue([{ type: 'sleep_task', params: { ms: 30_000 }, maxAttempts: 3, timeoutSec: 600 }], CLI);
    const s = await new Worker({ store, allowlists: strict, handlers: testHandlers, runtime: runtimeFor(home), once: true }).run();
    expect(s.jobs[0]).toMatchObject({ state: 'timed_out', error: 'runtime budget of 1 s exceeded' });
    expect(await store.getJob(j!.id)).toMatchObject({ state: 'timed_out' });
    void worker;
  });

  it('the tool-call budget fails a job that goes over', async () => {
    const { enqueue, worker, store } = await setup();
    const ok = await enqueue('tools_task', { calls: 2 });
    const over = await enqueue('tools_task', { calls: 3 });
    await worker({ idleExitSec: 0.1 }).run();
    expect((await store.getJob(ok.id))?.state).toBe('completed');
    expect(await store.getJob(over.id)).toMatchObject({ state: 'failed', error: 'budget exceeded: tool_calls 3 > 2', result: { code: 'budget_exceeded' } });
  });

  it('heartbeats keep a long job’s short lease alive: another worker never takes it', async () => {
    const { enqueue, worker, store, types } = await setup();
    const j = await enqueue('sleep_task', { ms: 1500 });
    const a = worker({ leaseSec: 0.5, heartbeatSec: 0.1, once: true });
    const b = worker({ leaseSec: 0.5, heartbeatSec: 0.1, idleExitSec: 1.2 });
    const [sa, sb] = await Promise.all([a.run(), b.run()]);
    expect(sa.jobs).toMatchObject([{ id: j.id, state: 'completed' }]);
    expect(sb.claimed).toBe(0);
    const ev = await types(j.id);
    expect(ev.filter((t) => t === 'heartbeat').length).toBeGreaterThanOrEqual(5);
    expect(ev.filter((t) => t === 'claim')).toHaveLength(1);
    expect((await store.getJob(j.id))?.attempts).toBe(1);
  });

  it('a job whose worker vanished is requeued when its lease expires, and runs once more', async () => {
    const { enqueue, worker, store, types } = await setup();
    const j = await enqueue('noop_task');
    // A worker that claims and then is never heard of again.
    await store.claim({ workerId: 'ghost', host: 'gone' }, { leaseSec: 0.1, types: ['noop_task'] });
    const events: WorkerEvent[] = [];
    const s = await worker({ leaseSec: 0.4, idleExitSec: 0.8, onEvent: (e) => events.push(e) }).run();
    expect(events).toContainEqual({ type: 'reaped', jobId: j.id, state: 'queued' });
    expect(s.jobs).toMatchObject([{ id: j.id, state: 'completed' }]);
    expect(await types(j.id)).toEqual(['enqueue', 'claim', 'requeue', 'claim', 'complete']);
    expect((await store.getJob(j.id))?.attempts).toBe(2);
  });

  it('cancelling a running job stops it at the next heartbeat', async () => {
    const { enqueue, worker, store } = await setup();
    const j = await enqueue('sleep_task', { ms: 30_000 });
    const w = worker({ heartbeatSec: 0.05, once: true, onEvent: (e) => e.type === 'claimed' && void store.cancel(j.id, CLI, 'no longer needed') });
    const s = await w.run();
    expect(s.jobs).toMatchObject([{ id: j.id, state: 'cancelled' }]);
    expect(await store.getJob(j.id)).toMatchObject({ state: 'cancelled', error: 'no longer needed' });
  });

  it('the kill switch stops claims within one poll, and claims resume when it is off', async () => {
    const { enqueue, worker, store } = await setup();
    const polls: { claimed: number; killSwitch: boolean }[] = [];
    const claimed: string[] = [];
    const w = worker({
      onEvent: (e) => {
        if (e.type === 'poll') polls.push({ claimed: e.claimed, killSwitch: e.killSwitch });
        if (e.type === 'claimed') claimed.push(e.jobId);
      },
    });
    const running = w.run();
    await until(() => polls.length >= 2, 'two idle polls');
    await store.setKillSwitch(true, CLI, 'drill');
    const mark = polls.length;
    const j = await enqueue('noop_task');
    await until(() => polls.length >= mark + 4, 'four more polls');
    // The poll in flight when the switch flipped may have begun before it; every later one saw it.
    expect(polls.slice(mark + 1).every((p) => p.killSwitch && p.claimed === 0)).toBe(true);
    expect(claimed).toEqual([]);
    await store.setKillSwitch(false, CLI, null);
    await until(() => claimed.length === 1, 'the claim after the switch is off');
    expect(claimed).toEqual([j.id]);
    w.stop();
    await running;
  });

  it('idle workers heartbeat into the ledger and exit after --idle-exit', async () => {
    const { worker, store } = await setup();
    const s = await worker({ heartbeatSec: 0.05, idleExitSec: 0.4 }).run();
    expect(s.stoppedBy).toBe('idle');
    const beats = [];
    for await (const page of store.ledgerPages()) for (const r of page) beats.push(JSON.parse(r.body));
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.every((b) => b.type === 'heartbeat' && b.data.idle === true && b.host === 'test-host')).toBe(true);
    expect((await store.workers())[0]).toMatchObject({ id: s.workerId, state: 'stopped' });
    expect((await verifyRecords(store.ledgerPages())).ok).toBe(true);
  });

  it('a graceful stop lets a short job finish and hands a long one back to the queue', async () => {
    const { enqueue, worker, store, types } = await setup();
    const short = await enqueue('sleep_task', { ms: 200 });
    const long = await enqueue('sleep_task', { ms: 30_000 });
    let claims = 0;
    const w = worker({ concurrency: 2, graceSec: 0.6, onEvent: (e) => e.type === 'claimed' && ++claims === 2 && w.stop('graceful') });
    const s = await w.run();
    expect(s.jobs.find((j) => j.id === short.id)?.state).toBe('completed');
    expect(s.jobs.find((j) => j.id === long.id)?.state).toBe('requeued');
    expect(await store.getJob(long.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await types(long.id)).toEqual(['enqueue', 'claim', 'requeue']);
  });

  it('stop now hands running jobs back at once', async () => {
    const { enqueue, worker, store } = await setup();
    const j = await enqueue('sleep_task', { ms: 30_000 });
    const w = worker({ onEvent: (e) => e.type === 'claimed' && w.stop('now') });
    const s = await w.run();
    expect(s.jobs).toMatchObject([{ id: j.id, state: 'requeued' }]);
    expect((await store.getJob(j.id))?.state).toBe('queued');
  });
});
