/** Which store the exec plane would use here: `exec.store` of the config the doctor loaded. */
import { type ExecPaths, execPaths, type StoreTarget, storeTarget } from '@openclaw/exec';
import { OpenclawError } from '@openclaw/policy';
import type { DoctorContext } from '../context.js';
import { redactUrl } from './reader.js';

export type StoreLocation =
  | {
      ok: true;
      target: StoreTarget;
      /** How checkpoints name the store (`sqlite:<path>` or `postgres`). */
      label: string;
      /** Safe to print. */
      location: string;
      paths: ExecPaths;
      configFile: string | null;
    }
  /** `invalid`: exec.store itself is wrong; `unknown`: the config could not be read, so which store is not known. */
  | { ok: false; kind: 'invalid' | 'unknown'; reason: string; hint: string };

export async function locateStore(ctx: DoctorContext): Promise<StoreLocation> {
  const config = await ctx.config();
  if (!config.ok)
    return {
      ok: false,
      kind: 'unknown',
      reason: `the config is invalid, so the store it names is unknown (${config.reason})`,
      hint: config.hint ?? '`openclaw config validate` lists every problem',
    };
  let target: StoreTarget;
  try {
    target = storeTarget(config.loaded.config, config.loaded.file, ctx.env);
  } catch (e) {
    if (!(e instanceof OpenclawError)) throw e;
    return { ok: false, kind: 'invalid', reason: e.reason, hint: e.hint ?? 'fix exec.store in openclaw.yaml' };
  }
  return {
    ok: true,
    target,
    label: target.kind === 'sqlite' ? `sqlite:${target.path}` : 'postgres',
    location: target.kind === 'sqlite' ? target.path : redactUrl(target.url),
    paths: execPaths(ctx.env),
    configFile: config.loaded.file ?? null,
  };
}
