/**
 * The doctor's view of the exec plane's store: read-only and bounded. The exec plane's own
 * `openStore` is not used here because opening is a write there — it creates the SQLite file and
 * migrates the schema (Postgres too), waits up to 10 s for SQLite's write lock and 5 s for a
 * Postgres connection — and doctor must neither create state nor hang. So the doctor opens the
 * SQLite file with SQLITE_OPEN_READONLY, and Postgres in a READ ONLY transaction, and reads only the
 * `ledger` table (`seq, body, hash`: the exec plane's StoredRecord), under a deadline.
 */
import type { StoredRecord, StoreTarget } from '@openclaw/exec';

export interface LedgerReader {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store is, safe to print (no password). */
  readonly location: string;
  /** The exec plane created its tables; false for an empty file or database (it migrates on first use). */
  readonly initialised: boolean;
  /** The highest seq in the ledger; null when it holds no record. */
  head(): Promise<number | null>;
  /** Records with seq > `afterSeq`, in seq order, at most `limit`, from one snapshot of the store. */
  page(afterSeq: number, limit: number): Promise<StoredRecord[]>;
  close(): Promise<void>;
}

export type OpenOutcome =
  | { state: 'open'; reader: LedgerReader; ms: number }
  /** An embedded store that does not exist yet: the exec plane creates it on first use. */
  | { state: 'absent'; location: string }
  | { state: 'unreachable'; location: string; reason: string; hint: string; timedOut: boolean; ms: number };

/** Opens the store for reading, giving up at `bound.deadline` (a `performance.now()` time; `bound.ms` is how it is reported). */
export async function openLedgerReader(target: StoreTarget, bound: { deadline: number; ms: number }): Promise<OpenOutcome> {
  if (target.kind === 'sqlite') {
    const { openSqliteReader } = await import('./sqlite-reader.js');
    return openSqliteReader(target.path);
  }
  // pg is loaded only here, so a doctor run on the embedded store never pays for it.
  const { openPostgresReader } = await import('./postgres-reader.js');
  return openPostgresReader(target.url, bound);
}

/** A Postgres URL without its password (in the authority or as a query parameter). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
