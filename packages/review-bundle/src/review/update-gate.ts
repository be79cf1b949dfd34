/**
 * `update check-gate`: before a deployed checkout updates itself to TARGET, check that TARGET is
 * what was reviewed. The reviewed SHA is the one recorded in docs/LAST_REVIEWED_SHA.txt at TARGET;
 * since a commit cannot contain its own SHA, TARGET passes when it is the `review finish` commit on
 * top of the reviewed one (changing only that file) — or, should the SHA come to equal TARGET, when
 * they are equal. Anything else, including a missing or malformed file, fails closed.
 */
import { repoRoot, resolveRevision } from '../git/run.js';
import { baselineAdvanceProblem } from './gate.js';
import { BASELINE_FILE, readBaseline } from './store.js';

export interface UpdateGateResult {
  ok: boolean;
  target_ref: string;
  target_sha: string;
  reviewed_sha: string | null;
  reason: string;
}

export function checkUpdateGate(o: { repo: string; ref: string }): UpdateGateResult {
  const repo = repoRoot(o.repo);
  const target = resolveRevision(repo, o.ref, '--ref');
  const base = { target_ref: o.ref, target_sha: target };
  const b = readBaseline(repo, target);
  if (!b) return { ...base, ok: false, reviewed_sha: null, reason: `${BASELINE_FILE} does not exist at ${o.ref}: nothing there was reviewed` };
  if ('problem' in b) return { ...base, ok: false, reviewed_sha: null, reason: b.problem };
  if (b.sha === target) return { ...base, ok: true, reviewed_sha: b.sha, reason: `${o.ref} is the reviewed commit` };
  const problem = baselineAdvanceProblem(repo, b.sha, target);
  if (problem)
    return {
      ...base,
      ok: false,
      reviewed_sha: b.sha,
      reason: `${o.ref} (${target.slice(0, 12)}) is not the reviewed commit ${b.sha.slice(0, 12)}: ${problem}`,
    };
  return { ...base, ok: true, reviewed_sha: b.sha, reason: `${o.ref} only records the review of ${b.sha.slice(0, 12)} on top of it` };
}
