/**
 * Running the worker as a service (SPEC §5): a systemd *user* unit when the user's service manager
 * is reachable, else — as on machines without a user bus (containers, CI, sandboxes) — a structured
 * `blocked reason=…` line and a fallback background worker tracked by a pid file
 * (`$OPENCLAW_HOME/run/worker.pid`: pid and the process start time, so a reused pid is never
 * mistaken for ours).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userHome } from '@openclaw/policy';
import { type ExecPaths, ensurePrivateDir } from '../state/paths.js';

export const UNIT_NAME = 'openclaw-exec-worker.service';

export interface UserBus {
  available: boolean;
  /** Why not, as systemctl said it. */
  detail: string;
}

/** Whether `systemctl --user` can reach a user service manager. */
export function userBus(run: typeof spawnSync = spawnSync): UserBus {
  const r = run('systemctl', ['--user', 'show-environment'], { encoding: 'utf8', timeout: 5000 });
  if (r.error) return { available: false, detail: `systemctl: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  const err = String(r.stderr ?? '').trim();
  // systemctl can exit 0 while printing "Failed to connect to bus".
  if (r.status !== 0 || /Failed to connect|No medium found|not been booted/i.test(err)) return { available: false, detail: err || `exit ${r.status}` };
  return { available: true, detail: 'user bus reachable' };
}

export function unitDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(userHome(env), '.config');
  return join(base, 'systemd/user');
}

const quote = (s: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);

export function renderUnit(opts: { command: string[]; openclawHome: string; config?: string | undefined }): string {
  return [
    '# Written by `openclaw exec install-units`. The openclaw exec worker (SPEC §5).',
    '[Unit]',
    'Description=openclaw exec worker',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[...opts.command, 'exec', 'worker', ...(opts.config ? ['--config', opts.config] : [])].map(quote).join(' ')}`,
    `Environment=OPENCLAW_HOME=${quote(opts.openclawHome)}`,
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM lets running jobs finish (or go back to the queue) before systemd kills the worker.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60',
    'NoNewPrivileges=yes',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export interface PidRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: the process start time in clock ticks since boot. */
  starttime: string;
  started_at: string;
  log: string;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it are split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The fallback worker recorded in the pid file, if that process is still the one we started. */
export function fallbackWorker(paths: ExecPaths): { record: PidRecord; running: boolean } | undefined {
  if (!existsSync(paths.workerPidFile)) return undefined;
  let record: PidRecord;
  try {
    record = JSON.parse(readFileSync(paths.workerPidFile, 'utf8'));
  } catch {
    return undefined;
  }
  return { record, running: Number.isInteger(record.pid) && procStart(record.pid) === record.starttime };
}

export function startFallbackWorker(paths: ExecPaths, command: string[], env: NodeJS.ProcessEnv = process.env): { pid: number; log: string; already: boolean } {
  const existing = fallbackWorker(paths);
  if (existing?.running) return { pid: existing.record.pid, log: existing.record.log, already: true };
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.runDir);
  ensurePrivateDir(paths.logsDir);
  const log = join(paths.logsDir, 'worker.log');
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn(command[0] as string, [...command.slice(1), 'exec', 'worker'], { detached: true, stdio: ['ignore', fd, fd], env, cwd: paths.home });
    child.unref();
    const pid = child.pid as number;
    let starttime = procStart(pid);
    for (let i = 0; i < 50 && starttime === undefined; i++) starttime = procStart(pid);
    writeFileSync(paths.workerPidFile, `${JSON.stringify({ pid, starttime: starttime ?? '', started_at: new Date().toISOString(), log })}\n`, { mode: 0o600 });
    return { pid, log, already: false };
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM (the worker finishes or requeues its jobs), then SIGKILL after `timeoutMs`. */
export async function stopFallbackWorker(paths: ExecPaths, timeoutMs = 60_000): Promise<{ pid: number | null; result: 'stopped' | 'killed' | 'not_running' }> {
  const w = fallbackWorker(paths);
  if (!w?.running) {
    rmSync(paths.workerPidFile, { force: true });
    return { pid: w?.record.pid ?? null, result: 'not_running' };
  }
  const { pid } = w.record;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && procStart(pid) === w.record.starttime) await sleep(50);
  let result: 'stopped' | 'killed' = 'stopped';
  if (procStart(pid) === w.record.starttime) {
    process.kill(pid, 'SIGKILL');
    result = 'killed';
    while (procStart(pid) === w.record.starttime) await sleep(20);
  }
  rmSync(paths.workerPidFile, { force: true });
  return { pid, result };
}

/** How to run this openclaw again: bin/openclaw when we run from a checkout, else node + the entry. */
export function selfCommand(argv1: string = process.argv[1] ?? ''): string[] {
  const bin = join(argv1, '../../../../bin/openclaw');
  if (argv1.endsWith('/packages/cli/dist/run.js') && existsSync(bin)) return [bin];
  return [process.execPath, argv1];
}
