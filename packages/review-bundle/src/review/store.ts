/**
 * Where verdicts live: `<git common dir>/openclaw/verdicts/<since>..<to>.json`, outside the work
 * tree (nothing to commit, shared by worktrees) and named by the exact range, so the pre-push gate
 * finds the verdict for the pushed range without trusting any other input. Also the review baseline,
 * `docs/LAST_REVIEWED_SHA.txt`, read from a commit's tree.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonGitDir, runGit } from '../git/run.js';
import type { Verdict } from './verdict.js';

export const BASELINE_FILE = 'docs/LAST_REVIEWED_SHA.txt';

export function verdictDir(repo: string): string {
  return join(commonGitDir(repo), 'openclaw', 'verdicts');
}

export function verdictPath(repo: string, since: string, to: string): string {
  return join(verdictDir(repo), `${since}..${to}.json`);
}

/** Writes `verdict` to `file` atomically (temp file + rename). */
export function writeVerdictFile(file: string, verdict: Verdict): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(verdict, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

export function storeVerdict(repo: string, verdict: Verdict): string {
  const dir = verdictDir(repo);
  mkdirSync(dir, { recursive: true });
  const file = verdictPath(repo, verdict.meta.since_sha, verdict.meta.to_sha);
  writeVerdictFile(file, verdict);
  return file;
}

/** Stored verdict files whose range ends at `to` (any start). */
export function verdictsEndingAt(repo: string, to: string): string[] {
  const dir = verdictDir(repo);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(`..${to}.json`))
    .sort()
    .map((f) => join(dir, f));
}

/** The reviewed SHA recorded in `ref`'s tree, or undefined when the file is absent. */
export function readBaseline(repo: string, ref: string): { sha: string } | { problem: string } | undefined {
  const r = runGit(repo, ['cat-file', 'blob', `${ref}:${BASELINE_FILE}`]);
  if (r.code !== 0) return undefined;
  const text = r.stdout.toString('utf8').trim();
  if (!/^[0-9a-f]{40}$/.test(text)) return { problem: `${BASELINE_FILE} in ${ref} does not hold a full commit SHA (${JSON.stringify(text.slice(0, 60))})` };
  return { sha: text };
}
