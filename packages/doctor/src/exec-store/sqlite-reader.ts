/**
 * The embedded store, read-only. A missing file stays missing (the exec plane creates it, 0600, on
 * first use). The file is opened with SQLITE_OPEN_READONLY, so its content cannot change; SQLite
 * itself may create the empty `-wal`/`-shm` coordination files beside a WAL database when they are
 * absent, as any reader does. Reads run in one transaction, so every page comes from the same
 * snapshot while a worker keeps appending; a reader never waits for a writer in WAL mode.
 */
import { statSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { StoredRecord } from '@openclaw/exec';
import type { LedgerReader, OpenOutcome } from './reader.js';

export function openSqliteReader(path: string): OpenOutcome {
  const started = performance.now();
  const unreachable = (reason: string, hint: string): OpenOutcome => ({
    state: 'unreachable',
    location: path,
    reason,
    hint,
    timedOut: false,
    ms: Math.round(performance.now() - started),
  });
  try {
    if (!statSync(path).isFile()) return unreachable(`${path} is not a file`, `move it away; the exec plane creates the store on first use`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', location: path };
    return unreachable(`cannot inspect ${path} (${code})`, `check the permissions of ${path} and its directories`);
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: 100 });
    db.exec('BEGIN');
    const initialised = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger'`).get() !== undefined;
    return { state: 'open', reader: new SqliteReader(db, path, initialised), ms: Math.round(performance.now() - started) };
  } catch (e) {
    db?.close();
    const err = e as Error & { errcode?: number };
    // 26 SQLITE_NOTADB: the file is something else (or encrypted); 11 SQLITE_CORRUPT.
    const hint =
      err.errcode === 26 || err.errcode === 11
        ? `move ${path} away (keep it if it holds evidence); the exec plane creates a new store on first use`
        : `check that ${path} is a SQLite file you can read`;
    return unreachable(`cannot open the embedded store ${path}: ${err.message}`, hint);
  }
}

class SqliteReader implements LedgerReader {
  readonly kind = 'sqlite' as const;
  private pageStmt: StatementSync | undefined;

  constructor(
    private readonly db: DatabaseSync,
    readonly location: string,
    readonly initialised: boolean,
  ) {}

  async head(): Promise<number | null> {
    if (!this.initialised) return null;
    const r = this.db.prepare('SELECT max(seq) AS head FROM ledger').get() as { head: number | null };
    return r.head === null ? null : Number(r.head);
  }

  async page(afterSeq: number, limit: number): Promise<StoredRecord[]> {
    if (!this.initialised) return [];
    this.pageStmt ??= this.db.prepare('SELECT seq, body, hash FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?');
    const rows = this.pageStmt.all(afterSeq, limit) as unknown as StoredRecord[];
    return rows.map((r) => ({ seq: Number(r.seq), body: r.body, hash: r.hash }));
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
