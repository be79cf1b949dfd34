/**
 * Tamper evidence (SPEC §5, §10): an edit, a deleted record, a swapped pair and a truncated tail are
 * each detected and the first bad record named — in the store itself (SQLite and Postgres, edited
 * with SQL as an attacker with database access would) and in an export; any single-byte change to
 * an export is detected (property test); checkpoints are signed, verified and refused when altered.
 */
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { loadOrCreateLedgerKey, readCheckpoint, signCheckpoint } from '../src/ledger/checkpoint.js';
import { canonicalJson, recordLine, sealRecord } from '../src/ledger/record.js';
import { verifyJsonl, verifyRecords } from '../src/ledger/verify.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ExecStore } from '../src/store/types.js';
import { freshSchema, usePostgres } from './support/postgres.js';

const pgc = usePostgres();
const A = { workerId: 'w', host: 'h' };
const stores: ExecStore[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const c of clients.splice(0)) await c.end();
});

/** A store with 20 records, and a way to run raw SQL on it as a tamperer would. */
async function ledgerIn(kind: 'sqlite' | 'postgres') {
  let store: ExecStore;
  let sql: (q: string) => Promise<void>;
  if (kind === 'sqlite') {
    const path = join(testdir(), 'exec.db');
    store = await SqliteStore.open(path);
    const raw = new DatabaseSync(path);
    sql = async (q) => void raw.exec(q);
  } else {
    const schema = freshSchema();
    store = await PostgresStore.open(pgc().url, { schema });
    const c = new pg.Client({ connectionString: pgc().url, options: `-c search_path=${schema}` });
    await c.connect();
    clients.push(c);
    sql = async (q) => void (await c.query(q));
  }
  stores.push(store);
  for (let i = 0; i < 10; i++)
    await store.append(
      [
        { type: 'exec.started', data: { i, argv: ['echo', `${i}`] } },
        { type: 'exec.finished', data: { i } },
      ],
      A,
    );
  return { store, sql };
}

describe.each(['sqlite', 'postgres'] as const)('tampering with the store (%s)', (kind) => {
  it('an intact ledger verifies', async () => {
    const { store } = await ledgerIn(kind);
    expect(await verifyRecords(store.ledgerPages())).toMatchObject({ ok: true, records: 20, head: { seq: 20 } });
  });

  const cases: [string, string, { code: string; seq: number }][] = [
    ['a single byte changed in a record', `UPDATE ledger SET body = replace(body, '"i":7', '"i":8') WHERE seq = 15`, { code: 'hash_mismatch', seq: 15 }],
    ['a record deleted', 'DELETE FROM ledger WHERE seq = 9', { code: 'record_missing', seq: 10 }],
    [
      'two records swapped',
      `UPDATE ledger SET seq = -1 WHERE seq = 5; UPDATE ledger SET seq = 5 WHERE seq = 6; UPDATE ledger SET seq = 6 WHERE seq = -1`,
      { code: 'seq_column_mismatch', seq: 5 },
    ],
    [
      'a record replaced by a re-hashed forgery',
      `UPDATE ledger SET body = replace(body, '"i":3', '"i":4') WHERE seq = 7; UPDATE ledger SET hash = encode(sha256(convert_to(body, 'UTF8')), 'hex') WHERE seq = 7`,
      { code: 'prev_mismatch', seq: 8 },
    ],
  ];
  it.each(cases)('detects %s and names the first bad record', async (_name, attack, expected) => {
    const { store, sql } = await ledgerIn(kind);
    if (kind === 'sqlite' && attack.includes('sha256')) {
      // SQLite has no sha256(): forge the hash in JS, as an attacker would.
      const [r] = await store.readLedger(6, 1);
      const body = r!.body.replace('"i":3', '"i":4');
      await sql(
        `UPDATE ledger SET body = '${body.replaceAll("'", "''")}', hash = '${(await import('../src/ledger/record.js')).sha256Hex(body)}' WHERE seq = 7`,
      );
    } else await sql(attack);
    const report = await verifyRecords(store.ledgerPages());
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject(expected);
  });

  it('a truncated tail verifies as a chain, and is caught against a signed checkpoint', async () => {
    const { store, sql } = await ledgerIn(kind);
    const head = await store.ledgerHead();
    const key = loadOrCreateLedgerKey(join(testdir(), 'keys/ledger.pem'));
    const cp = signCheckpoint(head!, store.location, key);
    await sql('DELETE FROM ledger WHERE seq > 16');
    expect((await verifyRecords(store.ledgerPages())).ok).toBe(true);
    const report = await verifyRecords(store.ledgerPages(), cp);
    expect(report).toMatchObject({ ok: false, problem: { code: 'truncated', seq: 17 }, checkpoint: { status: 'beyond_head' } });
    expect(report.problem?.message).toBe('the ledger ends at seq 16 but the checkpoint signed seq 20: records 17..20 were removed');
  });

  it('a rewritten history is caught at the checkpoint', async () => {
    const { store, sql } = await ledgerIn(kind);
    const cp = signCheckpoint((await store.ledgerHead())!, store.location, loadOrCreateLedgerKey(join(testdir(), 'k.pem')));
    // Rewrite everything from scratch with valid hashes: only the checkpoint can tell.
    await sql('DELETE FROM ledger');
    let head = null;
    for (let i = 1; i <= 20; i++) {
      const r = sealRecord(head, { type: 'exec.started', data: { forged: i } }, A, '2020-01-01T00:00:00.000Z');
      await sql(`INSERT INTO ledger (seq, type, job_id, body, hash) VALUES (${r.seq}, 'exec.started', NULL, '${r.body}', '${r.hash}')`);
      head = { seq: r.seq, hash: r.hash };
    }
    expect((await verifyRecords(store.ledgerPages())).ok).toBe(true);
    expect((await verifyRecords(store.ledgerPages(), cp)).problem).toMatchObject({ code: 'checkpoint_mismatch', seq: 20 });
  });
});

describe('tampering with an export (JSONL)', () => {
  function exported(n = 12): string {
    let head = null;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = sealRecord(
        head,
        { type: 'exec.finished', jobId: i % 2 ? `j_${i}` : undefined, data: { i, out: 'é\u001f"\\/' } },
        A,
        new Date(1e12 + i).toISOString(),
      );
      lines.push(recordLine(r));
      head = { seq: r.seq, hash: r.hash };
    }
    return `${lines.join('\n')}\n`;
  }

  it('an intact export verifies; lines are canonical JSON with the hash', () => {
    const text = exported();
    expect(verifyJsonl(text)).toMatchObject({ ok: true, records: 12 });
    const first = JSON.parse(text.split('\n')[0]!);
    expect(Object.keys(first)).toEqual(['data', 'hash', 'host', 'prev', 'seq', 'ts', 'type', 'worker_id']);
    expect(canonicalJson(first)).toBe(text.split('\n')[0]);
  });

  const lines = (t: string) => t.trimEnd().split('\n');
  const table: [string, (l: string[]) => string[], { code: string; position: number }][] = [
    ['a deleted line', (l) => [...l.slice(0, 4), ...l.slice(5)], { code: 'record_missing', position: 5 }],
    ['a swapped pair', (l) => [...l.slice(0, 3), l[4]!, l[3]!, ...l.slice(5)], { code: 'record_missing', position: 4 }],
    ['a duplicated line', (l) => [...l.slice(0, 6), l[5]!, ...l.slice(6)], { code: 'out_of_order', position: 7 }],
    [
      'an escape spelled differently (same value)',
      (l) => l.map((x, i) => (i === 2 ? x.replace('\\u001f', '\\u001F') : x)),
      { code: 'not_canonical', position: 3 },
    ],
  ];
  it.each(table)('detects %s', (_name, edit, expected) => {
    const report = verifyJsonl(`${edit(lines(exported())).join('\n')}\n`);
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject(expected);
  });

  it('a truncated export is caught only against a checkpoint', () => {
    const text = exported(12);
    const all = lines(text);
    const last = JSON.parse(all.at(-1)!);
    const cp = { seq: last.seq as number, hash: last.hash as string };
    const cut = `${all.slice(0, 9).join('\n')}\n`;
    expect(verifyJsonl(cut).ok).toBe(true);
    expect(verifyJsonl(cut, cp).problem).toMatchObject({ code: 'truncated', seq: 10 });
    expect(verifyJsonl(text, cp)).toMatchObject({ ok: true, checkpoint: { status: 'matched' } });
  });

  it('any single-byte change is detected (property)', () => {
    const text = exported(6);
    const bytes = Buffer.from(text);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, delta) => {
        const b = Buffer.from(bytes);
        b[pos] = ((b[pos] as number) + delta) % 256;
        return !verifyJsonl(b.toString('utf8')).ok;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('checkpoints', () => {
  it('the key is created 0600 in a 0700 directory, and reused', () => {
    const dir = join(testdir(), 'keys');
    const path = join(dir, 'ledger.pem');
    const k1 = loadOrCreateLedgerKey(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const k2 = loadOrCreateLedgerKey(path);
    expect(k1.export({ format: 'pem', type: 'pkcs8' })).toEqual(k2.export({ format: 'pem', type: 'pkcs8' }));
  });

  it('a key others can read is refused', () => {
    const path = join(testdir(), 'keys/ledger.pem');
    loadOrCreateLedgerKey(path);
    chmodSync(path, 0o644);
    expect(() => loadOrCreateLedgerKey(path)).toThrow(/readable or writable by others \(644\)/);
  });

  it('a signed checkpoint reads back; an altered one or another key’s is refused', () => {
    const dir = testdir();
    const key = loadOrCreateLedgerKey(join(dir, 'a.pem'));
    const other = loadOrCreateLedgerKey(join(dir, 'b.pem'));
    const cp = signCheckpoint({ seq: 5, hash: 'a'.repeat(64) }, 'sqlite:/x', key);
    const text = JSON.stringify(cp);
    expect(readCheckpoint(text, 'cp.json', key)).toEqual(cp);
    expect(() => readCheckpoint(JSON.stringify({ ...cp, seq: 4 }), 'cp.json', key)).toThrow(/signature does not verify/);
    expect(() => readCheckpoint(text, 'cp.json', other)).toThrow(/not by the trusted key/);
    expect(() => readCheckpoint('{"version":1}', 'cp.json', key)).toThrow(/not a ledger checkpoint/);
  });
});

describe('record format', () => {
  it('canonical JSON sorts keys by UTF-16 code units at every level, drops undefined fields, writes strings and numbers as JSON.stringify does', () => {
    const v = {
      z: [1, -0, 1.5e-7, 'a"b\\c\u0001é\u{1f600}', null, [], {}, true],
      '10': 'ten',
      '9': 'nine',
      B: { y: undefined, x: false, é: 1, e: 2 },
      a: undefined,
    };
    expect(canonicalJson(v)).toBe('{"10":"ten","9":"nine","B":{"e":2,"x":false,"é":1},"z":[1,0,1.5e-7,"a\\"b\\\\c\\u0001é\u{1f600}",null,[],{},true]}');
  });

  it('canonical JSON reads back as the value it was made from (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('a sealed record has the body and hash it always had', () => {
    // Pinned: a change to how records are built must not change what an existing ledger verifies against.
    const r = sealRecord(
      { seq: 41, hash: 'ab'.repeat(32) },
      { type: 'complete', jobId: 'j_x', data: { attempt: 2, result: { ok: true, n: [1, 2] } } },
      { workerId: 'w:1:abc', host: 'h' },
      '2026-01-02T03:04:05.678Z',
    );
    expect(r).toEqual({
      seq: 42,
      body: `{"data":{"attempt":2,"result":{"n":[1,2],"ok":true}},"host":"h","job_id":"j_x","prev":"${'ab'.repeat(32)}","seq":42,"ts":"2026-01-02T03:04:05.678Z","type":"complete","worker_id":"w:1:abc"}`,
      hash: '0f3acb6949f2abb35582bcad337f3777aad836519a604aa668f91040fffe66d0',
    });
  });
});
