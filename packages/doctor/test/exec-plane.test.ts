/**
 * `store.reachable` and `ledger.integrity` against real stores: SQLite files and a real Postgres
 * cluster, filled through the exec plane's own API and tampered with by raw SQL, as someone with
 * access to the database would. The doctor only reads: files are byte-identical afterwards and a
 * fresh home stays empty.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type Actor, type ExecStore, execPaths, loadOrCreateLedgerKey, openStore, type StoreTarget, signCheckpoint } from '@openclaw/exec';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PgCluster, startPostgres } from '../../../test/support/pg-cluster.js';
import { testdir } from '../../../test/support/tmp.js';
import type { CheckDefinition, CheckResult } from '../src/check.js';
import { ledgerIntegrityCheck } from '../src/checks/exec-plane.js';
import { runDoctor } from '../src/run.js';

const ACTOR: Actor = { workerId: 'w1', host: 'h' };
const stores: ExecStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
});

/** A home ($OPENCLAW_HOME not created yet) and the doctor's two store checks run in it. */
function world(config?: string) {
  const dir = testdir();
  const home = join(dir, '.openclaw');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, OPENCLAW_HOME: home };
  const paths = execPaths(env);
  let configFile: string | undefined;
  if (config !== undefined) {
    configFile = join(dir, 'openclaw.yaml');
    writeFileSync(configFile, `version: 1\n${config}`);
  }
  const check = async (id: 'ledger.integrity' | 'store.reachable', checks: CheckDefinition[] = []): Promise<CheckResult> => {
    const r = await runDoctor({ env, cwd: dir, only: [id], checks, ...(configFile ? { configFile } : {}) });
    return r.checks[0] as CheckResult;
  };
  /** Opens the store through the exec plane (which creates it) and records `jobs` finished jobs plus 2 exec events. */
  const fill = async (target: StoreTarget, jobs = 3): Promise<ExecStore> => {
    const store = await openStore(target, { env });
    stores.push(store);
    const queued = await store.enqueue(
      Array.from({ length: jobs }, (_, i) => ({ type: 'test_runner_task', params: { n: i }, maxAttempts: 3, timeoutSec: 60 })),
      ACTOR,
    );
    const { jobs: claimed } = await store.claim(ACTOR, { leaseSec: 30, types: ['test_runner_task'], limit: jobs });
    for (const j of claimed) await store.finish({ jobId: j.id, leaseId: j.lease?.id as string }, ACTOR, { state: 'completed', result: { ok: true } });
    await store.append(
      [
        { type: 'exec.started', data: { argv: ['true'] } },
        { type: 'exec.finished', data: { exit: 0 } },
      ],
      ACTOR,
    );
    expect(queued).toHaveLength(jobs);
    return store;
  };
  /** Signs the store's head with the local ledger key, where `exec ledger checkpoint` puts it. */
  const checkpoint = async (store: ExecStore, label: string, head?: { seq: number; hash: string }): Promise<string> => {
    const cp = signCheckpoint(head ?? ((await store.ledgerHead()) as { seq: number; hash: string }), label, loadOrCreateLedgerKey(paths.ledgerKey));
    mkdirSync(paths.checkpointsDir, { recursive: true, mode: 0o700 });
    const file = join(paths.checkpointsDir, `ledger-${cp.seq}.json`);
    writeFileSync(file, `${JSON.stringify(cp, null, 2)}\n`, { mode: 0o600 });
    return file;
  };
  return { dir, home, env, paths, check, fill, checkpoint };
}

const sqlite = (path: string): StoreTarget => ({ kind: 'sqlite', path });
const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
// One byte of record 3's body changes: the worker's host "h" becomes "i".
const EDIT_ONE_BYTE = `UPDATE ledger SET body = replace(body, '"host":"h"', '"host":"i"') WHERE seq = 3`;

describe('the embedded store (SQLite)', () => {
  it('a fresh home: no store yet is not a failure, and the doctor creates nothing', async () => {
    const w = world();
    const store = await w.check('store.reachable');
    expect(store).toMatchObject({ status: 'pass', detail: `no store yet: created on first use (${w.paths.dbPath})` });
    expect(store.evidence).toMatchObject({ kind: 'sqlite', state: 'absent', creatable: true });
    expect(await w.check('ledger.integrity')).toMatchObject({
      status: 'skip',
      detail: 'no ledger yet: nothing recorded (the store is created on first use)',
    });
    expect(existsSync(w.home)).toBe(false);
  });

  it('the fresh-machine shortcut (taken without loading the exec plane) looks where the exec plane keeps its store', async () => {
    const w = world('exec:\n  store: sqlite\n');
    expect(w.paths).toMatchObject({ dbPath: join(w.home, 'state', 'exec.db'), checkpointsDir: join(w.home, 'checkpoints') });
    expect(await w.check('store.reachable')).toMatchObject({ status: 'pass', detail: `no store yet: created on first use (${w.paths.dbPath})` });
    expect(existsSync(w.home)).toBe(false);
  });

  it('a healthy ledger with jobs passes; the store file is byte-identical afterwards', async () => {
    const w = world();
    const store = await w.fill(sqlite(w.paths.dbPath));
    await store.close();
    const before = { digest: digest(w.paths.dbPath), mtime: statSync(w.paths.dbPath).mtimeMs };
    const ledger = await w.check('ledger.integrity');
    expect(ledger.status).toBe('pass');
    expect(ledger.detail).toMatch(/^11 records, chain intact \(head #11 [0-9a-f]{12}\) in \d+ ms; no checkpoint to check a removed tail against/);
    expect(ledger.evidence).toMatchObject({ complete: true, records: 11, problem: null });
    expect(await w.check('store.reachable')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(new RegExp(`^sqlite ${w.paths.dbPath}: opened read-only in \\d+ ms; ledger head #11$`)),
    });
    expect({ digest: digest(w.paths.dbPath), mtime: statSync(w.paths.dbPath).mtimeMs }).toEqual(before);
  });

  it('the doctor reads while a worker holds the store open and keeps appending', async () => {
    const w = world();
    const store = await w.fill(sqlite(w.paths.dbPath));
    const [ledger] = await Promise.all([w.check('ledger.integrity'), store.append([{ type: 'heartbeat', data: {} }], ACTOR)]);
    expect(ledger.status).toBe('pass');
  });

  it('a single-byte edit of a record fails, naming the record and what to do', async () => {
    const w = world();
    await (await w.fill(sqlite(w.paths.dbPath))).close();
    const db = new DatabaseSync(w.paths.dbPath);
    db.exec(EDIT_ONE_BYTE);
    db.close();
    const r = await w.check('ledger.integrity');
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('record seq 3: its hash does not match its content (the record was edited)');
    expect(r.remediation).toMatch(
      /^treat it as tampering: copy .*exec\.db aside as evidence; `openclaw exec ledger verify` names the same first bad record \(seq 3\)/,
    );
    expect(r.evidence).toMatchObject({ problem: { code: 'hash_mismatch', seq: 3 } });
  });

  it('a deleted record in the middle fails as a gap', async () => {
    const w = world();
    await (await w.fill(sqlite(w.paths.dbPath))).close();
    const db = new DatabaseSync(w.paths.dbPath);
    db.exec('DELETE FROM ledger WHERE seq = 5');
    db.close();
    const r = await w.check('ledger.integrity');
    expect(r).toMatchObject({ status: 'fail', evidence: { problem: { code: 'record_missing', seq: 6 } } });
    expect(r.detail).toMatch(/^record seq 5 is missing: seq 6 follows seq 4/);
  });

  it('checkpoints: the newest one that matches passes; a truncated tail fails against it', async () => {
    const w = world();
    const store = await w.fill(sqlite(w.paths.dbPath), 2);
    await w.checkpoint(store, 'sqlite:/elsewhere/exec.db', { seq: 100, hash: 'a'.repeat(64) });
    const file = await w.checkpoint(store, `sqlite:${w.paths.dbPath}`);
    await store.append([{ type: 'heartbeat', data: {} }], ACTOR);
    const ok = await w.check('ledger.integrity');
    expect(ok.status).toBe('pass');
    expect(ok.detail).toMatch(/^9 records, chain intact .*; matches signed checkpoint #8$/);
    expect(ok.evidence).toMatchObject({
      checkpoint: { file, state: 'trusted', seq: 8 },
      checkpoint_status: 'matched',
      checkpoints_passed_over: ['ledger-100.json: for sqlite:/elsewhere/exec.db'],
    });

    const db = new DatabaseSync(w.paths.dbPath);
    db.exec('DELETE FROM ledger WHERE seq > 6');
    db.close();
    const cut = await w.check('ledger.integrity');
    expect(cut.status).toBe('fail');
    expect(cut.detail).toBe('the ledger ends at seq 6 but the checkpoint signed seq 8: records 7..8 were removed');
  });

  it('an altered checkpoint fails even when the chain is intact', async () => {
    const w = world();
    const store = await w.fill(sqlite(w.paths.dbPath), 1);
    const file = await w.checkpoint(store, `sqlite:${w.paths.dbPath}`);
    const cp = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...cp, ts: '2020-01-01T00:00:00.000Z' }));
    const r = await w.check('ledger.integrity');
    expect(r.status).toBe('fail');
    expect(r.detail).toBe(`checkpoint ${file}: the signature does not verify (the checkpoint was altered)`);
  });

  it('a checkpoint signed by a replaced key is passed over; without the key a checkpoint cannot be checked (warn)', async () => {
    const w = world();
    const store = await w.fill(sqlite(w.paths.dbPath), 1);
    await w.checkpoint(store, `sqlite:${w.paths.dbPath}`);
    rmSync(w.paths.ledgerKey);
    const noKey = await w.check('ledger.integrity');
    expect(noKey.status).toBe('warn');
    expect(noKey.detail).toMatch(/chain intact .*; checkpoint .*ledger-5\.json cannot be checked: there is no ledger key at /);
    expect(noKey.remediation).toMatch(/--public-key FILE/);

    loadOrCreateLedgerKey(w.paths.ledgerKey);
    const replaced = await w.check('ledger.integrity');
    expect(replaced.status).toBe('pass');
    expect(replaced.evidence.checkpoints_passed_over).toEqual([expect.stringMatching(/^ledger-5\.json: signed by key [0-9a-f]{16}, not the local key/)]);
  });

  it('the store removed while a checkpoint remembers it: fail', async () => {
    const w = world();
    const store = await w.fill(sqlite(w.paths.dbPath), 1);
    await w.checkpoint(store, `sqlite:${w.paths.dbPath}`);
    await store.close();
    rmSync(w.paths.dbPath);
    const r = await w.check('ledger.integrity');
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^there is no ledger at .*exec\.db, but checkpoint .*ledger-5\.json says it reached seq 5: the ledger was removed$/);
    expect(await w.check('store.reachable')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^no store yet/) });
    // Without the key the checkpoint proves nothing: a warning, not a failure.
    rmSync(w.paths.ledgerKey);
    expect(await w.check('ledger.integrity')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^there is no ledger at .*, but checkpoint .*ledger-5\.json claims seq 5; it cannot be checked: there is no ledger key/),
    });
  });

  it('an empty ledger (the exec plane opened the store, nothing recorded) is skipped', async () => {
    const w = world();
    stores.push(await openStore(sqlite(w.paths.dbPath), { env: w.env }));
    expect(await w.check('ledger.integrity')).toMatchObject({ status: 'skip', detail: 'the ledger is empty: nothing recorded yet' });
    expect(await w.check('store.reachable')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/; the ledger is empty$/) });
  });

  it('a file that is not a database: store.reachable fails with the fix, ledger.integrity is unknown', async () => {
    const w = world();
    mkdirSync(w.paths.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(w.paths.dbPath, 'not a database, just text that is long enough to have a header page'.repeat(100), { mode: 0o600 });
    const store = await w.check('store.reachable');
    expect(store.status).toBe('fail');
    expect(store.detail).toMatch(/^cannot open the embedded store .*exec\.db: file is not a database/);
    expect(store.remediation).toMatch(/^move .*exec\.db away/);
    expect(await w.check('ledger.integrity')).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/^the ledger was not read: cannot open/) });
  });

  it('exec.store naming a SQLite path relative to the config file', async () => {
    const w = world('exec:\n  store: data/jobs.db\n');
    await (await w.fill(sqlite(join(w.dir, 'data/jobs.db')), 1)).close();
    expect(await w.check('store.reachable')).toMatchObject({ status: 'pass', detail: expect.stringContaining(`${join(w.dir, 'data/jobs.db')}: opened`) });
    expect(await w.check('ledger.integrity')).toMatchObject({ status: 'pass', evidence: { records: 5 } });
  });

  it('an invalid exec.store fails store.reachable; an invalid config leaves both unknown', async () => {
    const bad = world('exec:\n  store: mysql://x/y\n');
    expect(await bad.check('store.reachable')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/neither sqlite, a file path nor a postgres:\/\/ URL/),
    });
    const invalid = world('exec:\n  nope: 1\n');
    expect(await invalid.check('store.reachable')).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/^the config is invalid/) });
    expect(await invalid.check('ledger.integrity')).toMatchObject({ status: 'unknown' });
  });

  describe('a ledger longer than the time budget', () => {
    async function longLedger() {
      const w = world();
      const store = await openStore(sqlite(w.paths.dbPath), { env: w.env });
      stores.push(store);
      for (let i = 0; i < 12; i++)
        await store.append(
          Array.from({ length: 1000 }, (_, n) => ({ type: 'heartbeat', data: { n } })),
          ACTOR,
        );
      return { w, store };
    }

    it('is reported unknown with how far it got, pointing at `exec ledger verify`', async () => {
      const { w } = await longLedger();
      const r = await w.check('ledger.integrity', [ledgerIntegrityCheck(1)]);
      expect(r.status).toBe('unknown');
      expect(r.detail).toMatch(/^verified \d+ of 12000 records in the time budget \(1 ms\), no problem so far$/);
      expect(r.remediation).toBe('run `openclaw exec ledger verify` to verify all of them');
      expect(r.evidence).toMatchObject({ complete: false, head_seq: 12000 });
      expect(r.evidence.records as number).toBeLessThan(12000);
      expect((await w.check('ledger.integrity')).status).toBe('pass');
    });

    it('but a tail cut below a checkpoint fails without reading every record', async () => {
      const { w, store } = await longLedger();
      const file = await w.checkpoint(store, `sqlite:${w.paths.dbPath}`);
      const db = new DatabaseSync(w.paths.dbPath);
      db.exec('DELETE FROM ledger WHERE seq > 11000');
      db.close();
      const r = await w.check('ledger.integrity', [ledgerIntegrityCheck(1)]);
      expect(r.status).toBe('fail');
      expect(r.detail).toBe(`the ledger ends at seq 11000 but checkpoint ${file} signed seq 12000: records 11001..12000 were removed`);
    });
  });
});

describe('a Postgres store (a real cluster)', () => {
  let cluster: PgCluster;
  let admin: pg.Client;
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
    admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end().catch(() => {});
    cluster?.destroy();
  });

  /** A fresh database named by exec.store, and raw SQL on it. */
  async function pgWorld() {
    const db = `doctor_${process.pid}_${++n}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const url = cluster.url.replace(/\/postgres$/, `/${db}`);
    const w = world(`exec:\n  store: ${url}\n`);
    const sql = async (q: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(q);
      } finally {
        await c.end();
      }
    };
    return { ...w, url, target: { kind: 'postgres', url } as StoreTarget, sql };
  }

  it('a database the exec plane has not used yet: reachable, no ledger yet; the doctor creates no table', async () => {
    const w = await pgWorld();
    const store = await w.check('store.reachable');
    expect(store.status).toBe('pass');
    expect(store.detail).toMatch(
      /^postgres postgres:\/\/postgres@127\.0\.0\.1:\d+\/doctor_\d+_\d+: answered in \d+ ms; no exec tables yet \(created on first use\)$/,
    );
    expect(await w.check('ledger.integrity')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^no ledger yet/) });
    const tables = await admin.query(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner IS NOT NULL AND tablename = 'ledger'`,
    );
    expect(tables.rows[0].n).toBe(0);
  });

  it('a healthy ledger with jobs passes', async () => {
    const w = await pgWorld();
    await w.fill(w.target);
    expect(await w.check('ledger.integrity')).toMatchObject({ status: 'pass', evidence: { kind: 'postgres', records: 11, complete: true } });
    expect(await w.check('store.reachable')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/answered in \d+ ms; ledger head #11$/) });
  });

  it('a single-byte edit of a record fails, naming it', async () => {
    const w = await pgWorld();
    await w.fill(w.target);
    await w.sql(EDIT_ONE_BYTE);
    const r = await w.check('ledger.integrity');
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('record seq 3: its hash does not match its content (the record was edited)');
    expect(r.remediation).toMatch(/^treat it as tampering: dump the ledger table \(pg_dump -t ledger\) as evidence/);
  });

  it('a truncated ledger fails against the checkpoint', async () => {
    const w = await pgWorld();
    const store = await w.fill(w.target);
    await w.checkpoint(store, 'postgres');
    await w.sql('DELETE FROM ledger WHERE seq > 9');
    const r = await w.check('ledger.integrity');
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^the ledger ends at seq 9 but the checkpoint signed seq 11: records 10\.\.11 were removed/);
  });

  it('a database that does not exist fails with the server’s reason; the password is never shown', async () => {
    const w = world(`exec:\n  store: postgres://postgres:s3cret@127.0.0.1:${cluster.port}/no_such_db\n`);
    const r = await w.check('store.reachable');
    expect(r.status).toBe('fail');
    expect(r.detail).toBe(`postgres://postgres:***@127.0.0.1:${cluster.port}/no_such_db: database "no_such_db" does not exist`);
    expect(JSON.stringify(r)).not.toContain('s3cret');
  });

  it('a server that accepts but never answers: unknown after the bound, with the reason', async () => {
    const sockets: Socket[] = [];
    const closed: Promise<unknown>[] = [];
    const silent = createServer((s) => {
      sockets.push(s);
      s.resume();
      closed.push(new Promise((resolve) => s.on('close', resolve)));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const w = world(`exec:\n  store: postgres://u@127.0.0.1:${port}/db\n`);
      const [store, ledger] = await Promise.all([w.check('store.reachable'), w.check('ledger.integrity')]);
      expect(store.status).toBe('unknown');
      expect(store.detail).toBe(`postgres://u@127.0.0.1:${port}/db: no answer within 1000 ms (the doctor's bound; the exec plane waits 5 s)`);
      expect(store.remediation).toMatch(/pg_isready/);
      expect(store.evidence).toMatchObject({ state: 'timeout', bound_ms: 1000 });
      expect(ledger).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/^the ledger was not read: .*no answer within 1000 ms/) });
      // The doctor hung up: every connection it opened is closed (this waits for them).
      expect(sockets).toHaveLength(2);
      await Promise.all(closed);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  // Last: it stops the cluster.
  it('configured but stopped: store.reachable fails with the reason and the fix; the ledger is unknown', async () => {
    const w = await pgWorld();
    await w.fill(w.target);
    for (const s of stores.splice(0)) await s.close();
    await admin.end();
    cluster.stop();
    const r = await w.check('store.reachable');
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(
      /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/doctor_\d+_\d+: connection refused \(ECONNREFUSED 127\.0\.0\.1:\d+\): no Postgres server listens there$/,
    );
    expect(r.remediation).toBe('start the Postgres server, or point exec.store in openclaw.yaml at the right server');
    expect(r.evidence).toMatchObject({ kind: 'postgres', state: 'unreachable' });
    expect(await w.check('ledger.integrity')).toMatchObject({
      status: 'unknown',
      detail: expect.stringMatching(/^the ledger was not read: .*connection refused/),
    });
  });
});
