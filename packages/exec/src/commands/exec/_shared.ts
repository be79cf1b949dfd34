/** What the exec commands share: flags, opening the configured store, the CLI's ledger identity. */
import { hostname } from 'node:os';
import { Flags } from '@oclif/core';
import { type LoadedConfig, loadConfig, OpenclawError } from '@openclaw/policy';
import type { Actor } from '../../ledger/record.js';
import { type ExecPaths, execPaths } from '../../state/paths.js';
import { openStore, type StoreTarget, storeTarget } from '../../store/open.js';
import type { ExecStore } from '../../store/types.js';

export const configFlag = {
  config: Flags.string({ description: 'Config file (default: discovered; see docs/configuration.md).', helpValue: 'FILE' }),
};

export interface ExecContext {
  config: LoadedConfig;
  paths: ExecPaths;
  target: StoreTarget;
  /** Who the CLI is in the ledger: `cli` on this host. */
  actor: Actor;
}

export async function execContext(flags: { config?: string | undefined }): Promise<ExecContext> {
  const config = await loadConfig({ flag: flags.config, cwd: process.cwd(), env: process.env });
  return {
    config,
    paths: execPaths(),
    target: storeTarget(config.config, config.file),
    actor: { workerId: 'cli', host: hostId(config) },
  };
}

export function hostId(config: LoadedConfig, flag?: string): string {
  return flag ?? config.config.exec?.worker?.hostId ?? hostname();
}

/** Opens the store, runs `fn`, closes it; an unreachable store is one error line with the fix. */
export async function withStore<T>(
  ctx: ExecContext,
  fn: (store: ExecStore) => Promise<T>,
  opts: { maxConnections?: number; unavailableExitCode?: number } = {},
): Promise<T> {
  let store: ExecStore;
  try {
    store = await openStore(ctx.target, opts.maxConnections ? { postgres: { maxConnections: opts.maxConnections } } : {});
  } catch (e) {
    if (opts.unavailableExitCode === undefined || !(e instanceof OpenclawError)) throw e;
    throw new OpenclawError({ code: e.code, reason: e.reason, ...(e.hint ? { hint: e.hint } : {}), exitCode: opts.unavailableExitCode, cause: e });
  }
  try {
    return await fn(store);
  } catch (e) {
    if (e instanceof OpenclawError) throw e;
    const err = e as Error;
    throw new OpenclawError({
      code: 'store_error',
      reason: `the ${store.kind} store ${store.location} failed: ${err.message}`,
      hint:
        store.kind === 'postgres'
          ? 'check that the Postgres server is up; the command is safe to retry'
          : 'retry; if it persists, run `openclaw exec ledger verify`',
      cause: e,
    });
  } finally {
    await store.close().catch(() => {});
  }
}

/** `k=v` pairs from repeated flags. */
export function keyValues(pairs: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of pairs ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new OpenclawError({ code: 'usage', reason: `--${flag} ${kv}: expected KEY=VALUE`, exitCode: 2 });
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
