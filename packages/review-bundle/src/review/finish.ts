/**
 * `review finish`: after an approved, real review of BASELINE..HEAD, records HEAD as the new
 * baseline in docs/LAST_REVIEWED_SHA.txt, in a commit of its own (nothing else is committed, even
 * if other changes are staged). Simulated, blocked or version-less verdicts and ranges that do not
 * start at the current baseline are refused.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExitCode, OpenclawError } from '@openclaw/policy/errors';
import { gitText, repoRoot, resolveRevision } from '../git/run.js';
import { BASELINE_FILE, readBaseline, verdictPath, verdictsEndingAt } from './store.js';
import { readVerdict, type Verdict } from './verdict.js';

function refuse(code: string, reason: string, hint: string): OpenclawError {
  return new OpenclawError({ code, reason, hint, exitCode: ExitCode.checkFailed });
}

export function finishReview(o: { repo: string; verdictFile?: string }): { commit: string; reviewed_sha: string; since_sha: string; verdict_file: string } {
  const repo = repoRoot(o.repo);
  const head = resolveRevision(repo, 'HEAD', 'HEAD');
  const baseline = readBaseline(repo, head);
  if (baseline && 'problem' in baseline) throw refuse('baseline_invalid', baseline.problem, `fix ${BASELINE_FILE} by hand, then rerun`);
  let file = o.verdictFile;
  if (!file) {
    const found = baseline ? [verdictPath(repo, baseline.sha, head)] : verdictsEndingAt(repo, head);
    file = found.find((f) => existsSync(f));
    if (!file)
      throw refuse(
        'no_verdict',
        `no review verdict for ${baseline ? `${baseline.sha.slice(0, 12)}..` : '…'}${head.slice(0, 12)} (HEAD)`,
        `run \`openclaw review run${baseline ? '' : ' --since <base>'}\` first`,
      );
  }
  const v: Verdict = readVerdict(file);
  if (v.meta.simulated)
    throw refuse(
      'verdict_simulated',
      'the verdict is simulated (review run --simulate); a simulated review cannot advance the baseline',
      'run `openclaw review run` against a real model',
    );
  if (!v.meta.reviewer.version.trim())
    throw refuse(
      'verdict_no_reviewer_version',
      'the verdict has no reviewer version',
      'rerun `openclaw review run` against an endpoint that reports its model',
    );
  if (v.verdict !== 'APPROVED')
    throw refuse('verdict_blocked', `the verdict is ${v.verdict}: ${v.blockers[0]?.message ?? ''}`, 'fix the blockers, commit, and review again');
  if (v.meta.to_sha !== head)
    throw refuse(
      'verdict_stale',
      `the verdict reviewed ${v.meta.to_sha.slice(0, 12)}, but HEAD is ${head.slice(0, 12)}`,
      'review what HEAD is now: `openclaw review run`',
    );
  if (baseline && v.meta.since_sha !== baseline.sha) {
    throw refuse(
      'verdict_range',
      `the verdict starts at ${v.meta.since_sha.slice(0, 12)}, not at the last reviewed commit ${baseline.sha.slice(0, 12)}`,
      `review from the baseline: openclaw review run --since ${baseline.sha}`,
    );
  }
  const dirty = gitText(repo, ['status', '--porcelain', '--', BASELINE_FILE]);
  if (dirty)
    throw refuse('baseline_dirty', `${BASELINE_FILE} has uncommitted changes`, `commit or discard them (git checkout -- ${BASELINE_FILE}), then rerun`);
  const path = join(repo, BASELINE_FILE);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${head}\n`);
  gitText(repo, ['add', '--', BASELINE_FILE]);
  gitText(repo, ['commit', '--quiet', '--only', '-m', `review: advance the reviewed baseline to ${head.slice(0, 12)}`, '--', BASELINE_FILE]);
  const commit = resolveRevision(repo, 'HEAD', 'HEAD');
  return { commit, reviewed_sha: head, since_sha: v.meta.since_sha, verdict_file: file };
}
