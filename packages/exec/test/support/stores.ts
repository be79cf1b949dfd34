/** Both stores, each on a fresh location per test, closed after it: what the conformance suite runs against. */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { testdir } from '../../../../test/support/tmp.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { ExecStore } from '../../src/store/types.js';
import { freshSchema, type PgCluster } from './postgres.js';

export type StoreKind = 'sqlite' | 'postgres';
/** Opens another connection to the same fresh store each time it is called. */
export type StoreOpener = () => Promise<ExecStore>;

const opened: ExecStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {});
});

export function freshStore(kind: StoreKind, pg: () => PgCluster): StoreOpener {
  if (kind === 'sqlite') {
    const path = join(testdir(), 'exec.db');
    return async () => {
      const s = await SqliteStore.open(path);
      opened.push(s);
      return s;
    };
  }
  const schema = freshSchema();
  return async () => {
    const s = await PostgresStore.open(pg().url, { schema, maxConnections: 8 });
    opened.push(s);
    return s;
  };
}

export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];
