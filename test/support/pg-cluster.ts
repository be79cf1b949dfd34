/**
 * A throwaway PostgreSQL cluster for tests: initdb + pg_ctl from Debian's postgresql package on a temp
 * directory and a free loopback port, trust auth, fsync off. As root the server runs as the
 * `postgres` user (Postgres refuses root). Every cluster is stopped when its test file ends, when the
 * process exits, and — should a test process die hard — by the next test run, which stops clusters
 * whose owner process is gone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'openclaw-pg-';

export interface PgCluster {
  port: number;
  dir: string;
  url: string;
  start(): void;
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): void;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin/initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries are missing: run `bash scripts/bootstrap.sh` as root (installs postgresql)');
  return join(base, versions[0] as string, 'bin');
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pgUser(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a `postgres` user to run the server (created by the postgresql package)');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function run(bin: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const cmd = asRoot ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args];
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', cwd: '/', timeout: 60_000 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops clusters left by test processes that no longer exist. */
function sweepStale(bin: string): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (owner && alive(owner)) continue;
    if (existsSync(join(dir, 'data/postmaster.pid'))) run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), 'stop', '-m', 'immediate', '-w'], { allowFail: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPostgres(): Promise<PgCluster> {
  const bin = binDir();
  sweepStale(bin);
  const user = pgUser();
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(data, user.uid, user.gid);
  }
  run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  let running = false;
  const cluster: PgCluster = {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start() {
      run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
      running = true;
    },
    stop(mode = 'fast') {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'], { allowFail: true });
      running = false;
    },
    destroy() {
      if (running || existsSync(join(data, 'postmaster.pid'))) cluster.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', onExit);
    },
  };
  const onExit = () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      const cmd = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, 'pg_ctl')] : [join(bin, 'pg_ctl')];
      try {
        execFileSync(cmd[0] as string, [...cmd.slice(1), '-D', data, '-m', 'immediate', 'stop'], { stdio: 'ignore' });
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  cluster.start();
  return cluster;
}
