/**
 * Token records in SQLite (node:sqlite, WAL), for an endpoint whose tokens must survive a restart
 * (`approvals serve --token-store sqlite`). Transitions run inside `BEGIN IMMEDIATE`, so a
 * consume is atomic even between two connections to the same file. The file is 0600 in a 0700
 * directory: token records name the commands people approved.
 */
import { chmodSync, closeSync, constants as fsc, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TokenRecord, TokenState } from './machine.js';
import { TokenStore, type TokenStoreOptions, type TokenTable } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  state TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_state ON tokens(state);
`;

export class SqliteTokenTable implements TokenTable {
  private readonly db: DatabaseSync;
  private readonly q: Record<'get' | 'prefix' | 'insert' | 'update' | 'all' | 'after' | 'count' | 'maxSeq' | 'remove', StatementSync>;
  private depth = 0;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(SCHEMA);
    this.q = {
      get: db.prepare('SELECT record FROM tokens WHERE id = ?'),
      prefix: db.prepare('SELECT record FROM tokens WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?'),
      insert: db.prepare('INSERT INTO tokens (id, seq, state, expires_at, record) VALUES (?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE tokens SET state = ?, expires_at = ?, record = ? WHERE id = ?'),
      all: db.prepare('SELECT record FROM tokens ORDER BY seq'),
      after: db.prepare('SELECT record FROM tokens WHERE seq > ? ORDER BY seq'),
      count: db.prepare('SELECT count(*) AS n FROM tokens WHERE state = ?'),
      maxSeq: db.prepare('SELECT coalesce(max(seq), 0) AS n FROM tokens'),
      remove: db.prepare('DELETE FROM tokens WHERE id = ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    this.depth++;
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    } finally {
      this.depth--;
    }
  }

  private static parse(row: unknown): TokenRecord {
    return JSON.parse((row as { record: string }).record) as TokenRecord;
  }

  get(id: string) {
    const row = this.q.get.get(id);
    return row ? SqliteTokenTable.parse(row) : undefined;
  }
  withPrefix(prefix: string, limit: number) {
    return this.q.prefix.all(prefix.length, prefix, limit).map(SqliteTokenTable.parse);
  }
  insert(r: TokenRecord) {
    this.q.insert.run(r.id, r.seq, r.state, r.expiresAt, JSON.stringify(r));
  }
  update(r: TokenRecord) {
    this.q.update.run(r.state, r.expiresAt, JSON.stringify(r), r.id);
  }
  list(states?: readonly TokenState[], afterSeq?: number) {
    const rows = (afterSeq ? this.q.after.all(afterSeq) : this.q.all.all()).map(SqliteTokenTable.parse);
    return states ? rows.filter((r) => states.includes(r.state)) : rows;
  }
  count(states: readonly TokenState[]) {
    let n = 0;
    for (const s of states) n += Number((this.q.count.get(s) as { n: number }).n);
    return n;
  }
  maxSeq() {
    return Number((this.q.maxSeq.get() as { n: number }).n);
  }
  remove(ids: readonly string[]) {
    for (const id of ids) this.q.remove.run(id);
  }
  close() {
    this.db.close();
  }
}

/** Opens (creating 0600 in a 0700 directory) the SQLite token store at `file`. */
export async function openSqliteTokenStore(file: string, opts: TokenStoreOptions = {}): Promise<TokenStore> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o600));
  chmodSync(file, 0o600);
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  const db = new DatabaseSync(file, { timeout: 5_000 });
  return new TokenStore(new SqliteTokenTable(db), opts);
}
