/**
 * `review run`: bundles SINCE..TO (packets when over the cap), asks the model about each packet and
 * writes the verdict — into the output directory and into the repository's verdict store, where the
 * pre-push gate looks. `simulate` writes a verdict no model produced, marked as such; the gate and
 * `review finish` refuse it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenclawError, usageError } from '@openclaw/policy/errors';
import { buildReviewBundle } from '../bundle/build.js';
import { commonGitDir, EMPTY_TREE, repoRoot, resolveRevision } from '../git/run.js';
import { endpointFromEnv, type ModelEndpoint, packetPrompt, reviewPacket } from './model.js';
import { BASELINE_FILE, readBaseline, storeVerdict, writeVerdictFile } from './store.js';
import type { Verdict } from './verdict.js';

export interface RunReviewOptions {
  repo: string;
  /** Default: the SHA in docs/LAST_REVIEWED_SHA.txt at TO. */
  since?: string;
  to?: string;
  sizeCap?: number;
  outDir?: string;
  simulate?: boolean;
  endpoint?: Partial<ModelEndpoint>;
  env?: NodeJS.ProcessEnv;
  excludes?: string[];
  onPacket?: (i: number, n: number) => void;
}

export interface RunReviewResult {
  verdict: Verdict;
  verdictFile: string;
  storedFile: string;
  outDir: string;
}

export async function runReview(o: RunReviewOptions): Promise<RunReviewResult> {
  const repo = repoRoot(o.repo);
  const to = resolveRevision(repo, o.to ?? 'HEAD', '--to');
  let sinceRev = o.since;
  if (!sinceRev) {
    const b = readBaseline(repo, to);
    if (!b)
      throw usageError(
        `no --since given and ${BASELINE_FILE} does not exist at ${to.slice(0, 12)}`,
        `pass --since <the last reviewed commit> (or ${EMPTY_TREE} for the whole history)`,
      );
    if ('problem' in b) throw usageError(b.problem, `fix ${BASELINE_FILE} or pass --since`);
    sinceRev = b.sha;
  }
  const since = resolveRevision(repo, sinceRev, '--since', { allowEmptyTree: true });
  const outDir = o.outDir ?? join(commonGitDir(repo), 'openclaw', 'reviews', `${since.slice(0, 12)}-${to.slice(0, 12)}`);
  const bundle = await buildReviewBundle({
    repo,
    since,
    to,
    outDir,
    stamp: 'review',
    excludes: o.excludes ?? [],
    ...(o.sizeCap ? { sizeCap: o.sizeCap } : {}),
  });
  const a = bundle.artifact;
  const pieces =
    a.review_packets_dir && a.size_cap_fallback
      ? a.size_cap_fallback.packets.map((p) => join(outDir, a.review_packets_dir as string, p.name))
      : [join(outDir, a.review_bundle_patch as string)];
  const env = o.env ?? process.env;
  const ep = { ...endpointFromEnv(env, {}), ...o.endpoint } as ModelEndpoint;
  let verdict: Verdict;
  const base = { since_sha: since, to_sha: to, bundle_sha256: a.bundle_sha256 as string, packets: pieces.length, reviewed_at: new Date().toISOString() };
  if (o.simulate) {
    verdict = {
      verdict: 'APPROVED',
      blockers: [],
      notes: ['simulated: no model reviewed this change'],
      meta: { ...base, simulated: true, reviewer: { name: 'simulated', version: '0' } },
    };
  } else {
    if (a.stats.files === 0)
      throw new OpenclawError({
        code: 'empty_range',
        reason: `nothing to review: ${since.slice(0, 12)}..${to.slice(0, 12)} has no changes`,
        hint: 'commit something first',
      });
    const blockers: Verdict['blockers'] = [];
    const notes: string[] = [];
    const versions = new Set<string>();
    let blocked = false;
    for (const [i, file] of pieces.entries()) {
      o.onPacket?.(i + 1, pieces.length);
      const { reply, modelVersion } = await reviewPacket(ep, packetPrompt(i + 1, pieces.length, since, to, readFileSync(file, 'utf8')));
      versions.add(modelVersion);
      if (reply.verdict === 'BLOCKED' || reply.blockers.length) blocked = true;
      for (const b of reply.blockers)
        blockers.push({ message: b.message, ...(b.path ? { path: b.path } : {}), ...(b.line ? { line: b.line } : {}), packet: i + 1 });
      notes.push(...(reply.notes ?? []));
    }
    if (blocked && !blockers.length) blockers.push({ message: 'the reviewer answered BLOCKED without naming a blocker' });
    // An endpoint that does not report its model leaves the version empty: the gate refuses that.
    const version = [...versions].filter(Boolean).join(', ');
    verdict = {
      verdict: blocked ? 'BLOCKED' : 'APPROVED',
      blockers,
      ...(notes.length ? { notes } : {}),
      meta: { ...base, simulated: false, reviewer: { name: ep.model, version: versions.has('') ? '' : version }, api_base: ep.apiBase },
    };
  }
  const verdictFile = join(outDir, 'verdict.json');
  writeVerdictFile(verdictFile, verdict);
  const storedFile = storeVerdict(repo, verdict);
  return { verdict, verdictFile, storedFile, outDir };
}
