/** The throwaway cluster (pg-cluster.ts) as vitest hooks for one test file. */
import { afterAll, beforeAll } from 'vitest';
import { type PgCluster, startPostgres } from '../../../../test/support/pg-cluster.js';

export type { PgCluster } from '../../../../test/support/pg-cluster.js';

/** One cluster for the calling test file: started before its tests, destroyed after them. */
export function usePostgres(): () => PgCluster {
  let cluster: PgCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster?.destroy());
  return () => {
    if (!cluster) throw new Error('the Postgres cluster is not started');
    return cluster;
  };
}

let schemaCounter = 0;
/** A fresh schema name: each test case gets its own tables in the shared cluster. */
export function freshSchema(): string {
  return `t_${process.pid}_${++schemaCounter}`;
}
