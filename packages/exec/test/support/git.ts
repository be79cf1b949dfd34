/** Real git repositories built inline for repo jobs. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { testdir } from '../../../../test/support/tmp.js';

const env = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/nonexistent',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface TestRepo {
  dir: string;
  /** Commits `files` (path → content) on top and returns the new SHA. */
  commit(files: Record<string, string>, message?: string): string;
}

export function gitRepo(files: Record<string, string>): TestRepo & { sha: string } {
  const dir = join(testdir(), 'origin');
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  const commit = (f: Record<string, string>, message = 'change') => {
    for (const [p, content] of Object.entries(f)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), content);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', message);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const sha = commit(files, 'initial');
  return { dir, sha, commit };
}
