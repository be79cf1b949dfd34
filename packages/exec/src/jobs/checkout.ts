/**
 * The read-only repo executor (SPEC §5): how a repo job gets its tree.
 *   - A bare mirror per allowlisted repo under `$OPENCLAW_HOME/mirrors` (push URL `DISABLED`),
 *     fetched when the pinned commit is missing; fetches are serialised by a lock directory, and the
 *     mirror is only read after the fetch, so concurrent jobs on one repo never write to it at once.
 *   - An ephemeral worktree: a `--shared` clone (its own git dir, the mirror's objects) checked out
 *     detached at the pinned SHA, push URL `DISABLED`, `core.hooksPath` set in its git dir to
 *     `.githooks` when the tree has one (so the repo's own hook checks see what they expect) and to
 *     `/dev/null` otherwise; then `chmod -R a-w` over the whole tree.
 *   - After the job, `verify()`: `git status --porcelain` (no optional locks, so it writes nothing)
 *     names every changed file — dirty means MUTATION_DETECTED — and the tree is checked to still
 *     have no write bit anywhere. The job writes only to `ARTIFACT_DIR`, outside the tree; inside
 *     the sandbox the tree is bound read-only as well, since permission bits do not stop root.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenclawError, type RepoSpec, userHome } from '@openclaw/policy';
import { ensurePrivateDir } from '../state/paths.js';

export interface CheckoutInvariants {
  /** No file or directory of the tree has a write bit. */
  read_only_ok: boolean;
  /** `git status --porcelain` is empty. */
  clean_tree_ok: boolean;
  /** What `git status --porcelain` listed (`XY path`). */
  changed: string[];
  /** Paths that have a write bit again. */
  writable: string[];
}

export interface Checkout {
  /** The working tree at the pinned commit. */
  dir: string;
  /** `git rev-parse HEAD` of the tree (equal to the pinned SHA). */
  head: string;
  /** `core.hooksPath` as set in the tree's git dir. */
  hooksPath: string;
  /** The bare mirror whose objects the tree borrows (`--shared`): a sandbox must show it read-only. */
  objects: string;
  /** Checks the tree after the job: clean and still read-only. */
  verify(): Promise<CheckoutInvariants>;
  cleanup(): Promise<void>;
}

export type RepoCheckout = (repo: { name: string } & RepoSpec, sha: string, opts: { mirrorsDir: string; signal?: AbortSignal }) => Promise<Checkout>;

function gitEnv(): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: userHome(), LANG: 'C', GIT_TERMINAL_PROMPT: '0' };
}

export function git(args: string[], opts: { cwd?: string; signal?: AbortSignal | undefined } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'protocol.ext.allow=never', ...args],
      { cwd: opts.cwd ?? '/', env: gitEnv(), maxBuffer: 64 * 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')}: ${(stderr || err.message).trim()}`));
        else resolve(stdout);
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock directory with the holder's pid; a holder that died leaves a lock others may take. */
async function withLock<T>(lock: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // being written; or left by a process that died between mkdir and write
        if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 60_000) holder = -1;
      }
      if (holder === -1 || (holder > 0 && !alive(holder))) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - start > timeoutMs) throw new OpenclawError({ code: 'mirror_locked', reason: `${lock} is held by pid ${holder}` });
      await sleep(50 + Math.random() * 150);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function hasCommit(gitDir: string, sha: string): Promise<boolean> {
  try {
    await git(['--git-dir', gitDir, 'cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Clones or fetches the mirror until it has `sha`; returns the mirror's path. */
export async function ensureMirror(repo: { name: string } & RepoSpec, sha: string, mirrorsDir: string, signal?: AbortSignal): Promise<string> {
  ensurePrivateDir(mirrorsDir);
  const mirror = join(mirrorsDir, `${repo.name}.git`);
  if (existsSync(mirror) && (await hasCommit(mirror, sha))) return mirror;
  await withLock(join(mirrorsDir, `${repo.name}.lock`), async () => {
    if (!existsSync(mirror)) {
      const tmp = `${mirror}.tmp-${process.pid}-${Date.now()}`;
      try {
        await git(['clone', '--mirror', '--quiet', '--', repo.url, tmp], { signal });
        await git(['--git-dir', tmp, 'remote', 'set-url', '--push', 'origin', 'DISABLED']);
        renameSync(tmp, mirror);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } else if (!(await hasCommit(mirror, sha))) {
      // The allowlist is the authority on the URL: follow it if it changed.
      await git(['--git-dir', mirror, 'remote', 'set-url', 'origin', repo.url]);
      await git(['--git-dir', mirror, 'fetch', '--prune', '--quiet', 'origin'], { signal });
    }
  });
  if (!(await hasCommit(mirror, sha)))
    throw new OpenclawError({
      code: 'ref_not_found',
      reason: `commit ${sha} is not in ${repo.name} (${repo.url})`,
      hint: 'pin a commit that exists upstream: git rev-parse <branch>',
    });
  return mirror;
}

/** chmod over a tree without following symlinks; `add` true gives the owner write back (for removal). */
function chmodTree(root: string, add: boolean): void {
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (add) chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    if (!add) chmodSync(p, st.mode & ~0o222);
  };
  walk(root);
}

function writablePaths(root: string, max = 20): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      if (out.length >= max) return;
      const p = rel ? `${rel}/${e.name}` : e.name;
      const st = lstatSync(join(root, p));
      if (st.isSymbolicLink()) continue;
      if (st.mode & 0o222) out.push(p);
      if (st.isDirectory()) walk(p);
    }
  };
  if (lstatSync(root).mode & 0o222) out.push('.');
  walk('');
  return out;
}

export const checkoutRepo: RepoCheckout = async (repo, sha, opts) => {
  let mirror: string;
  try {
    mirror = await ensureMirror(repo, sha, opts.mirrorsDir, opts.signal);
  } catch (e) {
    if (e instanceof OpenclawError) throw e;
    throw new OpenclawError({ code: 'repo_fetch_failed', reason: `cannot fetch ${repo.name} from ${repo.url}: ${(e as Error).message}` });
  }
  const root = mkdtempSync(join(tmpdir(), 'openclaw-job-'));
  const dir = join(root, repo.name);
  const cleanup = async () => {
    try {
      chmodTree(root, true);
    } catch {}
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await git(['clone', '--quiet', '--shared', '--no-checkout', '--', mirror, dir], { signal: opts.signal });
    await git(['-C', dir, 'remote', 'set-url', '--push', 'origin', 'DISABLED']);
    await git(['-C', dir, 'checkout', '--quiet', '--detach', sha], { signal: opts.signal });
    const head = (await git(['-C', dir, 'rev-parse', 'HEAD'])).trim();
    if (head !== sha) throw new Error(`HEAD is ${head}, not the pinned ${sha}`);
    const hooksPath = statSync(join(dir, '.githooks'), { throwIfNoEntry: false })?.isDirectory() ? '.githooks' : '/dev/null';
    await git(['-C', dir, 'config', 'core.hooksPath', hooksPath]);
    // Refresh the index's stat data before the chmod changes ctimes, then freeze everything.
    await git(['-C', dir, 'update-index', '-q', '--refresh']).catch(() => {});
    chmodTree(dir, false);
    const verify = async (): Promise<CheckoutInvariants> => {
      const out = await git(['--no-optional-locks', '-C', dir, 'status', '--porcelain=v1', '--untracked-files=all', '--ignored=no']);
      const changed = out.split('\n').filter(Boolean);
      const writable = writablePaths(dir);
      return { read_only_ok: writable.length === 0, clean_tree_ok: changed.length === 0, changed, writable };
    };
    return { dir, head, hooksPath, objects: mirror, verify, cleanup };
  } catch (e) {
    await cleanup();
    throw new OpenclawError({ code: 'checkout_failed', reason: `cannot check out ${repo.name} at ${sha}: ${(e as Error).message}` });
  }
};
