/**
 * What checks share: the environment, `$OPENCLAW_HOME`, a bounded probe runner, and the config and
 * approvals file loaded once (several checks read them; each gets the same answer).
 */
import { accessSync, constants as fsc } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  type ApprovalsSnapshot,
  approvalsPathFor,
  type ConfigIssue,
  discoverConfig,
  type LoadedConfig,
  OpenclawError,
  openclawHome,
  readApprovalsFile,
  readConfigFile,
} from '@openclaw/policy';
import type { Capture } from './ports/parse.js';
import { type ProbeOptions, type ProbeResult, probe } from './probe.js';

export type ConfigState = { ok: true; loaded: LoadedConfig } | { ok: false; file?: string; reason: string; hint?: string; issues?: ConfigIssue[] };

export interface DoctorContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `$OPENCLAW_HOME`. */
  home: string;
  uid: number | undefined;
  isRoot: boolean;
  /** A saved listener capture (`--ss-output`), parsed; the port audit reads it instead of running ss. */
  capture?: { source: string; capture: Capture };
  probe(cmd: string, args: readonly string[], opts?: ProbeOptions): Promise<ProbeResult>;
  /** A program's path: PATH first (so a stub stands in), then the sbin directories a user's PATH may lack. */
  which(name: string): string | undefined;
  config(): Promise<ConfigState>;
  approvals(): Promise<ApprovalsSnapshot & { fromConfig: boolean }>;
}

export interface ContextOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  capture?: { source: string; capture: Capture };
  /** `--config`: an explicit config file. */
  configFile?: string;
}

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function createContext(opts: ContextOptions = {}): DoctorContext {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  let config: Promise<ConfigState> | undefined;
  let approvals: Promise<ApprovalsSnapshot & { fromConfig: boolean }> | undefined;
  const whichCache = new Map<string, string | undefined>();
  const ctx: DoctorContext = {
    env,
    cwd,
    home: openclawHome(env),
    uid,
    isRoot: uid === 0,
    ...(opts.capture ? { capture: opts.capture } : {}),
    probe: (cmd, args, o = {}) => probe(cmd, args, { env, cwd, ...o }),
    which(name) {
      if (whichCache.has(name)) return whichCache.get(name);
      const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
      let found: string | undefined;
      for (const d of dirs) {
        try {
          accessSync(join(d, name), fsc.X_OK);
          found = join(d, name);
          break;
        } catch {
          // not here
        }
      }
      whichCache.set(name, found);
      return found;
    },
    config: () => (config ??= loadConfigState(opts.configFile, cwd, env)),
    approvals: () =>
      (approvals ??= ctx.config().then(async (c) => {
        const loaded: LoadedConfig = c.ok ? c.loaded : { config: {}, source: 'defaults' };
        const path = approvalsPathFor(loaded, undefined, cwd, env);
        return { ...(await readApprovalsFile(path)), fromConfig: c.ok && loaded.config.approvals?.file !== undefined };
      })),
  };
  return ctx;
}

async function loadConfigState(flag: string | undefined, cwd: string, env: NodeJS.ProcessEnv): Promise<ConfigState> {
  let found: ReturnType<typeof discoverConfig>;
  try {
    found = discoverConfig({ flag, cwd, env });
  } catch (e) {
    if (e instanceof OpenclawError) return { ok: false, reason: e.reason, ...(e.hint ? { hint: e.hint } : {}) };
    throw e;
  }
  if (!found) return { ok: true, loaded: { config: {}, source: 'defaults' } };
  const parsed = await readConfigFile(found.file);
  if (!parsed.ok) {
    return {
      ok: false,
      file: found.file,
      reason: `${found.file}: ${parsed.issues.length} problem${parsed.issues.length === 1 ? '' : 's'}`,
      hint: 'fix the file: `openclaw config validate` lists every problem',
      issues: parsed.issues,
    };
  }
  return { ok: true, loaded: { config: parsed.value, file: found.file, source: found.source } };
}
