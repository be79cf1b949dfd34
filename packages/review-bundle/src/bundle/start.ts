/**
 * The first steps of a run, up to `git diff` writing: the range resolved, the options checked, the
 * output directory ready, the staging directory made and git started into its spool — git first,
 * then what can be asked beside it. From here on the run owns a process and a directory; build.ts
 * kills the one and removes the other however the run ends.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OpenclawError, usageError } from '@openclaw/policy/errors';
import { DIFF_CONFIG, gitEnv, gitTextLater, resolveRange } from '../git/run.js';
import { type SpooledGit, spawnSpooled } from '../git/spool.js';

/** Smallest cap that leaves a packet room for its header and a useful amount of diff. */
export const MIN_SIZE_CAP = 2048;
export const DEFAULT_SIZE_CAP = 100 * 1024;
const STAMP_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The options the first steps read (a subset of BuildOptions). */
export interface StartOptions {
  /** Any directory inside the repository. */
  repo: string;
  since: string;
  /** Default HEAD. */
  to?: string;
  /** Bytes; default 100 KiB. */
  sizeCap?: number;
  /** Output directory (created if missing); other files in it are left alone. */
  outDir: string;
  /** Default: the UTC time. */
  stamp?: string;
}

/** A running `git diff` of the range, with what it printed on stderr so far. */
export interface RunningDiff extends SpooledGit {
  stderr: () => string;
}

export interface Started {
  repo: string;
  /** Full SHAs (or the empty tree). */
  since: string;
  to: string;
  /** `--to` as given. */
  toRef: string;
  cap: number;
  stamp: string;
  outDir: string;
  staging: string;
  diff: RunningDiff;
  /** TO's commit time (0 when git could not say). */
  toTime: Promise<number>;
}

export function defaultStamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Checks the options, prepares the output directory and starts git; throws what the run would. */
export function startRun(opts: StartOptions): Started {
  const toRef = opts.to ?? 'HEAD';
  const { repo, since, to } = resolveRange(resolve(opts.repo), opts.since, toRef);
  const cap = opts.sizeCap ?? DEFAULT_SIZE_CAP;
  if (cap < MIN_SIZE_CAP)
    throw usageError(`--size-cap ${cap} is below the minimum of ${MIN_SIZE_CAP} bytes`, 'a packet needs room for its header and some diff: use 2kb or more');
  const stamp = opts.stamp ?? defaultStamp();
  if (!STAMP_RE.test(stamp)) throw usageError(`--stamp ${JSON.stringify(stamp)} is not a plain name`, 'use letters, digits, ".", "_" and "-" (at most 64)');
  const outDir = resolve(opts.outDir);
  prepareOutDir(outDir);
  const staging = mkdtempSync(join(outDir, '.review-bundle-staging-'));
  let diff: RunningDiff;
  try {
    diff = startDiff(repo, since, to, join(staging, 'diff.spool'));
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  // TO's commit time is the archive's mtime; packets are archived as they are written, so it is
  // needed before the first one (asked once the diff is under way: nothing waits on it before).
  const toTime = gitTextLater(repo, ['show', '-s', '--format=%ct', to]).then((t) => Number(t) || 0);
  return { repo, since, to, toRef, cap, stamp, outDir, staging, diff, toTime };
}

/** Kills git unless it has exited. */
export function stopDiff(diff: RunningDiff): void {
  if (diff.child.exitCode === null && diff.child.signalCode === null) diff.child.kill('SIGKILL');
}

/** Creates the output directory and withdraws a previous run's claim before this run starts. */
function prepareOutDir(outDir: string): void {
  try {
    if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new Error('exists and is not a directory');
    mkdirSync(outDir, { recursive: true });
    rmSync(join(outDir, 'artifact.json'), { force: true });
  } catch (e) {
    throw new OpenclawError({
      code: 'out_dir_unusable',
      reason: `cannot write the bundle to ${outDir}: ${(e as Error).message}`,
      hint: 'pass --out with a directory you can write to',
    });
  }
}

/** git's arguments for `git diff SINCE TO` in the one format the parser reads (bench/ runs the same). */
export function diffArgs(since: string, to: string): string[] {
  return [
    ...DIFF_CONFIG,
    'diff',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--full-index',
    '--find-renames',
    '--unified=3',
    '--diff-algorithm=myers',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    '--no-relative',
    '-O/dev/null',
    since,
    to,
    '--',
  ];
}

/** `git diff SINCE TO` in `repo`, spooled through `spoolFile`. */
function startDiff(repo: string, since: string, to: string, spoolFile: string): RunningDiff {
  const args = ['-C', repo, ...diffArgs(since, to)];
  const spooled = spawnSpooled(args, gitEnv(), spoolFile);
  let stderr = '';
  spooled.child.stderr?.setEncoding('utf8');
  spooled.child.stderr?.on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  return { ...spooled, stderr: () => stderr };
}
