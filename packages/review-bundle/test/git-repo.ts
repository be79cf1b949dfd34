/**
 * Real git repositories built inline by the tests, and the round-trip check of the packet contract:
 * apply the packets in order with plain `git apply` to a checkout of SINCE and compare the tree with
 * TO's (`git write-tree`), leaving out only the files the artifact says are not reproduced.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { testdir } from '../../../test/support/tmp.js';

export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, args: string[], input?: string | Buffer): string {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, input: input ?? '', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8').trim();
}

export class Repo {
  constructor(readonly dir: string) {}

  static create(dir = testdir()): Repo {
    const repoDir = join(dir, 'repo');
    mkdirSync(repoDir);
    git(repoDir, ['init', '-q', '-b', 'main']);
    git(repoDir, ['config', 'core.autocrlf', 'false']);
    return new Repo(repoDir);
  }

  write(path: string, content: string | Buffer, mode?: number): this {
    const p = join(this.dir, path);
    mkdirSync(dirname(p), { recursive: true });
    rmSync(p, { force: true });
    writeFileSync(p, content);
    if (mode !== undefined) chmodSync(p, mode);
    return this;
  }

  /** A file whose name is raw bytes (not valid UTF-8, say). */
  writeRawName(name: Buffer, content: string): this {
    writeFileSync(Buffer.concat([Buffer.from(`${this.dir}/`), name]), content);
    return this;
  }

  symlink(path: string, target: string): this {
    const p = join(this.dir, path);
    mkdirSync(dirname(p), { recursive: true });
    rmSync(p, { force: true });
    symlinkSync(target, p);
    return this;
  }

  rm(path: string): this {
    git(this.dir, ['rm', '-q', '--', path]);
    return this;
  }

  mv(from: string, to: string): this {
    mkdirSync(dirname(join(this.dir, to)), { recursive: true });
    git(this.dir, ['mv', '--', from, to]);
    return this;
  }

  commit(message = 'change'): string {
    git(this.dir, ['add', '-A']);
    git(this.dir, ['commit', '-q', '--allow-empty', '-m', message]);
    return this.head();
  }

  head(): string {
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  read(path: string): Buffer {
    return readFileSync(join(this.dir, path));
  }
}

export interface RoundTrip {
  /** Tree of SINCE + packets, with the listed paths put back to TO. */
  tree: string;
  expected: string;
  /** Paths whose content after applying differs from TO (before putting them back). */
  differing: string[];
}

/**
 * Applies `patches` in order to a fresh checkout of `since` and returns both trees. Paths in
 * `notReproduced` are then set to their TO state so the rest can be compared exactly.
 */
export function applyPackets(repo: Repo, since: string, to: string, patches: string[], notReproduced: string[] = []): RoundTrip {
  const work = join(testdir(), 'check');
  if (since === '4b825dc642cb6eb9a060e54bf8d69288fbee4904') {
    mkdirSync(work);
    git(work, ['init', '-q']);
    git(work, ['config', 'core.autocrlf', 'false']);
  } else {
    git(repo.dir, ['worktree', 'add', '-q', '--detach', work, since]);
  }
  for (const p of patches) {
    const r = spawnSync('git', ['apply', p], { cwd: work, env: GIT_ENV });
    if (r.status !== 0) throw new Error(`git apply ${p} failed: ${r.stderr.toString()}`);
  }
  git(work, ['add', '-A']);
  const raw = spawnSync('git', ['diff', '--cached', '--name-only', '-z', '--no-renames', to], { cwd: work, env: GIT_ENV }).stdout.toString('utf8');
  const differing = raw.split('\0').filter(Boolean).sort();
  for (const path of notReproduced) {
    const inTo = spawnSync('git', ['cat-file', '-e', `${to}:${path}`], { cwd: work, env: GIT_ENV }).status === 0;
    if (inTo) git(work, ['checkout', to, '--', path]);
    else git(work, ['rm', '-q', '-r', '--cached', '--ignore-unmatch', '--', path]);
  }
  git(work, ['add', '-A']);
  const tree = git(work, ['write-tree']);
  const expected = git(repo.dir, ['rev-parse', `${to}^{tree}`]);
  if (since !== '4b825dc642cb6eb9a060e54bf8d69288fbee4904') git(repo.dir, ['worktree', 'remove', '--force', work]);
  return { tree, expected, differing };
}

export function packetFiles(outDir: string, stampDir: string): string[] {
  const dir = join(outDir, stampDir);
  return readdirSync(dir)
    .filter((f) => /^packet_\d+\.txt$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Every file under `dir` (relative path → bytes), for byte-identical comparisons. */
export function snapshotDir(dir: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, snapshotDir(dir, rel));
    else out[rel] = readFileSync(join(dir, rel));
  }
  return out;
}
