/**
 * Choosing the store from `exec.store` in openclaw.yaml: absent or `sqlite` → the embedded store at
 * `$OPENCLAW_HOME/state/exec.db`; `postgres://…` or `postgresql://…` → Postgres; anything else is a
 * SQLite file path (relative to the config file).
 */
import { dirname, resolve } from 'node:path';
import { type OpenclawConfig, OpenclawError } from '@openclaw/policy';
import { ensurePrivateDir, execPaths } from '../state/paths.js';
import type { PostgresStoreOptions } from './postgres.js';
import type { ExecStore } from './types.js';

export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function storeTarget(config: OpenclawConfig, configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): StoreTarget {
  const s = config.exec?.store;
  if (s === undefined || s === 'sqlite') return { kind: 'sqlite', path: execPaths(env).dbPath };
  if (/^postgres(ql)?:\/\//.test(s)) return { kind: 'postgres', url: s };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s))
    throw new OpenclawError({
      code: 'store_invalid',
      reason: `exec.store ${JSON.stringify(s)} is neither sqlite, a file path nor a postgres:// URL`,
      hint: 'set exec.store to sqlite (default) or postgres://user:password@host:port/db',
      exitCode: 2,
    });
  return { kind: 'sqlite', path: resolve(configFile ? dirname(configFile) : process.cwd(), s) };
}

export async function openStore(target: StoreTarget, opts: { postgres?: PostgresStoreOptions; env?: NodeJS.ProcessEnv } = {}): Promise<ExecStore> {
  if (target.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.open(target.url, opts.postgres);
  }
  const paths = execPaths(opts.env);
  if (target.path === paths.dbPath) {
    ensurePrivateDir(paths.home);
    ensurePrivateDir(paths.stateDir);
  }
  const { SqliteStore } = await import('./sqlite.js');
  return SqliteStore.open(target.path);
}
