/**
 * The pre-push gate. Git runs the hook with the remote's name and, on stdin, one line per ref being
 * pushed: `<local ref> <local sha> <remote ref> <remote sha>`. Each update passes only when a stored
 * verdict approved exactly the pushed range — SINCE = what the remote has, TO = what is pushed —
 * from a real model (not simulated, with a reviewer version). The one change tolerated after the
 * reviewed commit is the baseline advance that `review finish` commits: docs/LAST_REVIEWED_SHA.txt
 * naming the reviewed commit, and nothing else. There is no bypass switch.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY_TREE, repoRoot, runGit, ZERO_SHA } from '../git/run.js';
import { BASELINE_FILE, readBaseline, verdictDir } from './store.js';
import { readVerdict, type Verdict } from './verdict.js';

export interface PushUpdate {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

export interface GateUpdateResult {
  local_ref: string;
  local_sha: string;
  remote_ref: string;
  remote_sha: string;
  ok: boolean;
  reason: string;
  range?: { since: string; to: string };
  verdict_file?: string;
  hint?: string;
}

export function parsePrePushInput(text: string): PushUpdate[] {
  const out: PushUpdate[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [localRef, localSha, remoteRef, remoteSha, ...rest] = line.trim().split(/\s+/);
    if (!localRef || !remoteRef || rest.length || !/^[0-9a-f]{40}$/.test(localSha ?? '') || !/^[0-9a-f]{40}$/.test(remoteSha ?? '')) {
      throw new Error(`not a pre-push line: ${JSON.stringify(line.slice(0, 200))}`);
    }
    out.push({ localRef, localSha: localSha as string, remoteRef, remoteSha: remoteSha as string });
  }
  return out;
}

/** What the remote already has, as the start of the pushed range. */
function pushedBase(repo: string, u: PushUpdate, to: string, remote: string | undefined): { since: string } | { problem: string } | { nothingNew: true } {
  if (u.remoteSha !== ZERO_SHA) return { since: u.remoteSha };
  // A new ref: the range starts where the pushed history meets what the remote is known to have.
  const args = ['rev-list', '--boundary', to, '--not', ...(remote ? [`--remotes=${remote}`] : ['--remotes'])];
  const r = runGit(repo, args);
  if (r.code !== 0) return { problem: `cannot list the pushed commits: ${r.stderr.trim()}` };
  const lines = r.stdout.toString('utf8').split('\n').filter(Boolean);
  // A new tag or branch at commits the remote already has pushes no new code.
  if (!lines.some((l) => !l.startsWith('-'))) return { nothingNew: true };
  const boundary = lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1));
  if (boundary.length === 0) return { since: EMPTY_TREE };
  if (boundary.length === 1) return { since: boundary[0] as string };
  return { problem: `the new ref ${u.remoteRef} starts from ${boundary.length} commits the remote has, so there is no single range to review` };
}

/** Why `v` does not approve since..to, or undefined when it does. */
export function verdictProblem(repo: string, v: Verdict, since: string, to: string): string | undefined {
  if (v.meta.simulated) return 'the verdict is simulated (review run --simulate): no model reviewed this change';
  if (!v.meta.reviewer.version.trim()) return `the verdict has no reviewer version (reviewer "${v.meta.reviewer.name}")`;
  if (v.verdict !== 'APPROVED')
    return `the verdict is ${v.verdict} with ${v.blockers.length} blocker${v.blockers.length === 1 ? '' : 's'}: ${v.blockers[0]?.message ?? ''}`;
  if (v.meta.since_sha !== since) return `the verdict covers ${short(v.meta.since_sha)}..${short(v.meta.to_sha)}, but the push starts at ${short(since)}`;
  if (v.meta.to_sha === to) return undefined;
  return baselineAdvanceProblem(repo, v.meta.to_sha, to);
}

/** undefined when `to` differs from `reviewed` only by advancing the baseline file to `reviewed`. */
export function baselineAdvanceProblem(repo: string, reviewed: string, to: string): string | undefined {
  const range = `${short(reviewed)}..${short(to)}`;
  if (runGit(repo, ['merge-base', '--is-ancestor', reviewed, to]).code !== 0)
    return `the pushed commit ${short(to)} does not contain the reviewed commit ${short(reviewed)}`;
  const names = runGit(repo, ['diff', '--no-renames', '--name-only', '-z', reviewed, to]).stdout.toString('utf8').split('\0').filter(Boolean);
  if (names.length !== 1 || names[0] !== BASELINE_FILE) {
    const extra = names.filter((n) => n !== BASELINE_FILE);
    return `${range} changes ${extra.length} file${extra.length === 1 ? '' : 's'} after the reviewed commit (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}); only the ${BASELINE_FILE} advance is tolerated`;
  }
  const b = readBaseline(repo, to);
  if (!b || 'problem' in b || b.sha !== reviewed) return `${BASELINE_FILE} at ${short(to)} does not name the reviewed commit ${short(reviewed)}`;
  return undefined;
}

const short = (sha: string) => (sha === EMPTY_TREE ? 'EMPTY_TREE' : sha.slice(0, 12));

export function checkPush(o: { repo: string; remote?: string; updates: PushUpdate[]; verdictFile?: string }): { ok: boolean; updates: GateUpdateResult[] } {
  const repo = repoRoot(o.repo);
  const results = o.updates.map((u): GateUpdateResult => {
    const base = { local_ref: u.localRef, local_sha: u.localSha, remote_ref: u.remoteRef, remote_sha: u.remoteSha };
    if (u.localSha === ZERO_SHA) return { ...base, ok: true, reason: 'deletes the remote ref: no code is pushed' };
    // An annotated tag is reviewed as the commit it points to.
    const peeled = runGit(repo, ['rev-parse', '--verify', '--quiet', `${u.localSha}^{commit}`])
      .stdout.toString('utf8')
      .trim();
    if (!/^[0-9a-f]{40}$/.test(peeled)) return { ...base, ok: false, reason: `${u.localRef} (${short(u.localSha)}) does not point to a commit` };
    const b = pushedBase(repo, u, peeled, o.remote);
    if ('problem' in b) return { ...base, ok: false, reason: b.problem, hint: 'push a branch that starts from one commit the remote has' };
    if ('nothingNew' in b) return { ...base, ok: true, reason: 'every pushed commit is already on the remote' };
    const to = peeled;
    const range = { since: b.since, to };
    const hint = `openclaw review run --since ${b.since} --to ${to}`;
    if (b.since === to) return { ...base, ok: true, reason: 'the remote already has this commit', range };
    // Nothing to review: the pushed commits change no file (empty commits, a merge with no change).
    if (runGit(repo, ['diff', '--quiet', '--no-ext-diff', b.since, to]).code === 0)
      return { ...base, ok: true, reason: 'the pushed range changes no file', range };
    const candidates = o.verdictFile ? [o.verdictFile] : verdictFiles(repo, b.since);
    if (!candidates.length)
      return { ...base, ok: false, reason: `no review verdict for the pushed range ${short(b.since)}..${short(u.localSha)}`, range, hint };
    let firstProblem: { reason: string; file: string } | undefined;
    for (const file of candidates) {
      let v: Verdict;
      try {
        v = readVerdict(file);
      } catch (e) {
        firstProblem ??= { reason: (e as Error).message, file };
        continue;
      }
      const problem = verdictProblem(repo, v, b.since, to);
      if (!problem) return { ...base, ok: true, reason: `approved by ${v.meta.reviewer.name} ${v.meta.reviewer.version}`, range, verdict_file: file };
      // Report the verdict for exactly this range first: it is the one the user meant.
      if (!firstProblem || v.meta.to_sha === to) firstProblem = { reason: problem, file };
    }
    return { ...base, ok: false, reason: (firstProblem as { reason: string }).reason, range, verdict_file: (firstProblem as { file: string }).file, hint };
  });
  return { ok: results.every((r) => r.ok), updates: results };
}

function verdictFiles(repo: string, since: string): string[] {
  const dir = verdictDir(repo);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${since}..`) && f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}
