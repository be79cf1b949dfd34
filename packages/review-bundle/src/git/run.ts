/**
 * Running git: always argv (never a shell), with an environment that cannot change what a diff
 * means (no external diff, no GIT_DIFF_OPTS, C locale for parseable messages) and config pinned on
 * the command line where user config could change the output format.
 */
import { type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { ExitCode, OpenclawError } from '@openclaw/policy/errors';

/** The empty tree: a valid `--since` for "everything up to TO". */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const ZERO_SHA = '0000000000000000000000000000000000000000';

const DROPPED_ENV = ['GIT_DIFF_OPTS', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'PAGER', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT'];

export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, LC_ALL: 'C', LANG: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };
  for (const k of DROPPED_ENV) delete env[k];
  return env;
}

/** Config that makes `git diff` output the same for every user (what git apply reads back). */
export const DIFF_CONFIG = [
  '-c',
  'core.quotePath=true',
  '-c',
  'diff.noprefix=false',
  '-c',
  'diff.mnemonicPrefix=false',
  '-c',
  'diff.suppressBlankEmpty=false',
  '-c',
  'diff.relative=false',
  '-c',
  'color.diff=false',
];

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function runGit(
  repo: string,
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; stdout?: SpawnSyncOptions['stdio'] } = {},
): GitResult {
  const r = spawnSync('git', ['-C', repo, ...args], {
    env: opts.env ?? gitEnv(),
    input: opts.input ?? '',
    maxBuffer: 1024 * 1024 * 1024,
    ...(opts.stdout ? { stdio: opts.stdout } : {}),
  });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new OpenclawError({
      code: missing ? 'git_missing' : 'git_failed',
      reason: missing ? 'git is not installed (or not on PATH)' : `git ${args[0]} could not run: ${r.error.message}`,
      hint: missing ? 'install git (apt-get install git) and retry' : 'check that git works in this directory',
    });
  }
  return { code: r.status ?? 1, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? Buffer.alloc(0)).toString('utf8') };
}

/** git's stdout as text, without waiting for it (it runs beside other work); '' if git fails. */
export function gitTextLater(repo: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('git', ['-C', repo, ...args], { env: gitEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', () => resolve(''));
    child.on('close', (code) => resolve(code === 0 ? Buffer.concat(out).toString('utf8').trim() : ''));
  });
}

/** Runs git and returns trimmed stdout; a failure becomes an OpenclawError with git's own message. */
export function gitText(repo: string, args: string[], what?: string): string {
  const r = runGit(repo, args);
  if (r.code !== 0) {
    throw new OpenclawError({
      code: 'git_failed',
      reason: `${what ?? `git ${args.join(' ')}`} failed: ${firstLine(r.stderr) || `exit ${r.code}`}`,
      hint: `run \`git -C ${repo} ${args.join(' ')}\` to see the whole message`,
    });
  }
  return r.stdout.toString('utf8').trim();
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** The top of the work tree containing `dir`, or a clear error when it is not a git repository. */
export function repoRoot(dir: string): string {
  const r = runGit(dir, ['rev-parse', '--show-toplevel']);
  if (r.code !== 0) {
    throw new OpenclawError({
      code: 'not_a_repository',
      reason: `${dir} is not inside a git repository`,
      hint: 'pass --repo DIR with the repository to bundle',
      exitCode: ExitCode.usage,
    });
  }
  return r.stdout.toString('utf8').trim();
}

/** The git directory shared by all worktrees (where openclaw keeps verdicts). */
export function commonGitDir(repo: string): string {
  return gitText(repo, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
}

/**
 * Resolves `rev` to a full commit SHA (or the empty tree, where allowed). An unknown or ambiguous
 * revision is a usage error naming the flag, so `--since deadbeef` says exactly what is wrong.
 */
export function resolveRevision(repo: string, rev: string, flag: string, opts: { allowEmptyTree?: boolean } = {}): string {
  if (opts.allowEmptyTree && rev === EMPTY_TREE) return EMPTY_TREE;
  if (rev === '' || rev.startsWith('-')) throw badRevision(repo, rev, flag, 'is not a revision');
  const r = runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  const sha = r.stdout.toString('utf8').trim();
  if (r.code !== 0 || !/^[0-9a-f]{40}$/.test(sha)) throw badRevision(repo, rev, flag, 'is not a commit in this repository');
  return sha;
}

/**
 * The work tree's top and both ends of a range in one git call (each git call costs a process
 * start before the diff can begin). Anything unexpected — an unknown revision, a range, an
 * ambiguous name, no work tree — is resolved again one by one, so the error is exactly the one
 * repoRoot and resolveRevision give.
 */
export function resolveRange(dir: string, since: string, to: string): { repo: string; since: string; to: string } {
  const emptySince = since === EMPTY_TREE;
  const plain = (rev: string) => rev !== '' && !rev.startsWith('-');
  if (plain(since) && plain(to)) {
    const revs = emptySince ? [`${to}^{commit}`] : [`${since}^{commit}`, `${to}^{commit}`];
    const r = runGit(dir, ['rev-parse', '--show-toplevel', ...revs]);
    const lines = r.stdout.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    const shas = lines.slice(1);
    if (r.code === 0 && lines.length === revs.length + 1 && lines[0] && shas.every((s) => /^[0-9a-f]{40}$/.test(s))) {
      return { repo: lines[0].trim(), since: emptySince ? EMPTY_TREE : (shas[0] as string), to: shas.at(-1) as string };
    }
  }
  const repo = repoRoot(dir);
  return {
    repo,
    since: resolveRevision(repo, since, '--since', { allowEmptyTree: true }),
    to: resolveRevision(repo, to, '--to'),
  };
}

function badRevision(repo: string, rev: string, flag: string, what: string): OpenclawError {
  return new OpenclawError({
    code: 'bad_revision',
    reason: `${flag} ${JSON.stringify(rev)} ${what} (${repo})`,
    hint: `list commits with \`git -C ${repo} log --oneline\`; fetch first if the commit is on a remote`,
    exitCode: ExitCode.usage,
  });
}
