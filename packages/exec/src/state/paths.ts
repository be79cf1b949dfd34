/**
 * Where the exec plane keeps its state under `$OPENCLAW_HOME` (SPEC §2: the directory is 0700).
 * Every directory is created 0700 by `ensurePrivateDir` before anything is written into it.
 */
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OpenclawError, openclawHome } from '@openclaw/policy';

export interface ExecPaths {
  home: string;
  stateDir: string;
  /** The embedded store. */
  dbPath: string;
  keysDir: string;
  /** The Ed25519 key that signs ledger checkpoints (PKCS#8 PEM, 0600). */
  ledgerKey: string;
  checkpointsDir: string;
  artifactsDir: string;
  mirrorsDir: string;
  runDir: string;
  /** The fallback background worker's pid file (`exec start` without a user bus). */
  workerPidFile: string;
  logsDir: string;
}

export function execPaths(env: NodeJS.ProcessEnv = process.env): ExecPaths {
  const home = openclawHome(env);
  const stateDir = join(home, 'state');
  const runDir = join(home, 'run');
  return {
    home,
    stateDir,
    dbPath: join(stateDir, 'exec.db'),
    keysDir: join(home, 'keys'),
    ledgerKey: join(home, 'keys', 'ledger-ed25519.pem'),
    checkpointsDir: join(home, 'checkpoints'),
    artifactsDir: join(home, 'artifacts'),
    mirrorsDir: join(home, 'mirrors'),
    runDir,
    workerPidFile: join(runDir, 'worker.pid'),
    logsDir: join(home, 'logs'),
  };
}

/** Creates `dir` (and parents) 0700; refuses a symlink or a directory others can write. */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new OpenclawError({ code: 'state_dir_invalid', reason: `${dir} is not a directory`, hint: `remove it; openclaw creates it` });
  if ((st.mode & 0o077) !== 0) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (st.uid !== uid)
      throw new OpenclawError({
        code: 'state_dir_invalid',
        reason: `${dir} is owned by uid ${st.uid} and open to others (${(st.mode & 0o777).toString(8)})`,
        hint: `chown $(id -u) ${dir} && chmod 700 ${dir}`,
      });
    chmodSync(dir, 0o700);
  }
  return dir;
}
