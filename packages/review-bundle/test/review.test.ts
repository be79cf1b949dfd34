import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import {
  checkPush,
  checkUpdateGate,
  checkVerdict,
  finishReview,
  installHooks,
  parsePrePushInput,
  runReview,
  type Verdict,
  verdictJsonSchema,
} from '../src/index.js';
import { type FakeModel, startFakeModel } from './fake-model.js';
import { git, Repo } from './git-repo.js';

const ZERO = '0'.repeat(40);
let fake: FakeModel | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function twoCommits() {
  const repo = Repo.create();
  repo.write('a.txt', 'one\n');
  const base = repo.commit('base');
  repo.write('a.txt', 'one\ntwo\n');
  const head = repo.commit('work');
  return { repo, base, head };
}

const approve = () => ({ content: JSON.stringify({ verdict: 'APPROVED', blockers: [], notes: ['fine'] }) });

async function review(repo: Repo, since: string, extra: Partial<Parameters<typeof runReview>[0]> = {}) {
  fake ??= await startFakeModel(approve);
  return runReview({
    repo: repo.dir,
    since,
    outDir: join(testdir(), 'review'),
    endpoint: { apiBase: fake.base, model: 'fake', timeoutMs: 5000 },
    env: {},
    ...extra,
  });
}

describe('review run against a fake OpenAI-compatible model on loopback', () => {
  it('sends each packet and writes an approved verdict (stored for the gate)', async () => {
    const { repo, base, head } = twoCommits();
    fake = await startFakeModel(approve);
    const r = await runReview({
      repo: repo.dir,
      since: base,
      outDir: join(testdir(), 'rv'),
      endpoint: { apiBase: fake.base, model: 'fake', timeoutMs: 5000 },
      env: { OPENCLAW_MODEL_API_KEY: 'sk-test-key' },
    });
    expect(r.verdict).toMatchObject({
      verdict: 'APPROVED',
      blockers: [],
      meta: { since_sha: base, to_sha: head, simulated: false, reviewer: { name: 'fake', version: 'fake-reviewer-2026-01-01' }, packets: 1 },
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
    expect(fake.requests[0]?.authorization).toBe('Bearer sk-test-key');
    expect(fake.requests[0]?.body.messages[1]?.content).toContain('+two');
    expect(checkVerdict(JSON.parse(readFileSync(r.verdictFile, 'utf8'))).ok).toBe(true);
    expect(existsSync(r.storedFile)).toBe(true);
    expect(r.storedFile).toMatch(new RegExp(`openclaw/verdicts/${base}\\.\\.${head}\\.json$`));
  });

  it('reviews packet by packet over the cap; one blocked packet blocks the verdict', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'a\n');
    const base = repo.commit();
    repo.write('a.txt', 'x\n'.repeat(3000)).write('b.txt', 'y\n'.repeat(3000));
    repo.commit();
    fake = await startFakeModel((req) =>
      req.body.messages[1]?.content.includes('packet 2 of')
        ? { content: '```json\n{"verdict": "BLOCKED", "blockers": [{"message": "too many ys", "path": "b.txt", "line": 1}]}\n```' }
        : approve(),
    );
    const r = await review(repo, base, { sizeCap: 4096 });
    expect(r.verdict.meta.packets).toBeGreaterThan(2);
    expect(fake.requests).toHaveLength(r.verdict.meta.packets);
    expect(r.verdict.verdict).toBe('BLOCKED');
    expect(r.verdict.blockers).toEqual([{ message: 'too many ys', path: 'b.txt', line: 1, packet: 2 }]);
  });

  it('a reply that is not a verdict, an HTTP error or no server writes no verdict', async () => {
    const { repo, base } = twoCommits();
    fake = await startFakeModel(() => ({ content: 'looks good to me!' }));
    await expect(review(repo, base)).rejects.toMatchObject({ code: 'model_reply_invalid' });
    fake.answer = () => ({ status: 401, raw: '{"error": "bad key"}' });
    await expect(review(repo, base)).rejects.toMatchObject({ code: 'model_error', hint: expect.stringMatching(/OPENCLAW_MODEL_API_KEY/) });
    const port = new URL(fake.base).port;
    await fake.close();
    fake = undefined;
    await expect(
      runReview({ repo: repo.dir, since: base, outDir: join(testdir(), 'x'), endpoint: { apiBase: `http://127.0.0.1:${port}/v1`, timeoutMs: 2000 }, env: {} }),
    ).rejects.toMatchObject({
      code: 'model_unreachable',
    });
    expect(existsSync(join(git(repo.dir, ['rev-parse', '--git-common-dir']), 'openclaw', 'verdicts'))).toBe(false);
  });

  it('an endpoint that does not report its model leaves the reviewer version empty', async () => {
    const { repo, base } = twoCommits();
    fake = await startFakeModel(() => ({ ...approve(), model: null }));
    const r = await review(repo, base);
    expect(r.verdict.meta.reviewer.version).toBe('');
  });

  it('--simulate calls no model and marks the verdict simulated', async () => {
    const { repo, base } = twoCommits();
    fake = await startFakeModel(approve);
    const r = await review(repo, base, { simulate: true });
    expect(fake.requests).toHaveLength(0);
    expect(r.verdict.meta).toMatchObject({ simulated: true, reviewer: { name: 'simulated' } });
  });
});

describe('verdict schema', () => {
  const good: Verdict = {
    verdict: 'APPROVED',
    blockers: [],
    meta: {
      since_sha: 'a'.repeat(40),
      to_sha: 'b'.repeat(40),
      simulated: false,
      reviewer: { name: 'm', version: '1' },
      bundle_sha256: 'c'.repeat(64),
      packets: 1,
      reviewed_at: '2026-01-01T00:00:00Z',
    },
  };
  it.each([
    ['a valid verdict', good, true],
    ['APPROVED with blockers', { ...good, blockers: [{ message: 'x' }] }, false],
    ['a short SHA', { ...good, meta: { ...good.meta, to_sha: 'abc' } }, false],
    ['an unknown key', { ...good, extra: 1 }, false],
    ['no reviewer', { ...good, meta: { ...good.meta, reviewer: undefined } }, false],
    ['a lower-case verdict', { ...good, verdict: 'approved' }, false],
  ])('%s', (_name, value, ok) => {
    expect(checkVerdict(value).ok).toBe(ok);
  });

  it('the committed JSON Schema is the one generated from zod', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../../configs/schemas/review-verdict.schema.json'), 'utf8');
    expect(committed).toBe(verdictJsonSchema());
  });
});

describe('review gate (pre-push)', () => {
  const line = (local: string, remote: string) => `refs/heads/main ${local} refs/heads/main ${remote}\n`;

  it('passes only a real, approved review of exactly the pushed range', async () => {
    const { repo, base, head } = twoCommits();
    const push = parsePrePushInput(line(head, base));
    expect(checkPush({ repo: repo.dir, updates: push })).toMatchObject({
      ok: false,
      updates: [{ reason: expect.stringMatching(/^no review verdict for the pushed range/) }],
    });
    await review(repo, base, { simulate: true });
    expect(checkPush({ repo: repo.dir, updates: push }).updates[0]?.reason).toMatch(/simulated/);
    await review(repo, base);
    expect(checkPush({ repo: repo.dir, updates: push })).toMatchObject({
      ok: true,
      updates: [{ ok: true, reason: 'approved by fake fake-reviewer-2026-01-01' }],
    });
    // A wrong range: the remote has something else than the verdict's SINCE.
    repo.write('c.txt', 'c\n');
    const later = repo.commit();
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(later, head)) }).updates[0]?.reason).toMatch(/^no review verdict/);
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(later, base)) }).updates[0]?.reason).toMatch(
      /changes 1 file after the reviewed commit \(c\.txt\)/,
    );
  });

  it('refuses a verdict without a reviewer version, a blocked one, and another range', async () => {
    const { repo, base, head } = twoCommits();
    fake = await startFakeModel(() => ({ ...approve(), model: null }));
    await review(repo, base);
    const push = parsePrePushInput(line(head, base));
    expect(checkPush({ repo: repo.dir, updates: push }).updates[0]?.reason).toBe('the verdict has no reviewer version (reviewer "fake")');
    fake.answer = () => ({ content: JSON.stringify({ verdict: 'BLOCKED', blockers: [{ message: 'no tests' }] }) });
    await review(repo, base);
    expect(checkPush({ repo: repo.dir, updates: push }).updates[0]?.reason).toMatch(/^the verdict is BLOCKED with 1 blocker: no tests/);
    // A verdict file given explicitly for another range.
    fake.answer = approve;
    const other = await review(repo, head.slice(0, 12) === base.slice(0, 12) ? base : `${head}~1`);
    expect(other.verdict.meta.since_sha).toBe(base);
    const wrong = JSON.parse(readFileSync(other.verdictFile, 'utf8'));
    wrong.meta.since_sha = head;
    const file = join(testdir(), 'wrong.json');
    writeFileSync(file, JSON.stringify(wrong));
    expect(checkPush({ repo: repo.dir, updates: push, verdictFile: file }).updates[0]?.reason).toMatch(/^the verdict covers .* but the push starts at/);
    const invalid = join(testdir(), 'invalid.json');
    writeFileSync(invalid, '{"verdict": "APPROVED"}');
    expect(checkPush({ repo: repo.dir, updates: push, verdictFile: invalid }).updates[0]?.reason).toMatch(/is not a valid verdict/);
  });

  it('tolerates only the baseline advance of review finish after the reviewed commit', async () => {
    const { repo, base, head } = twoCommits();
    repo.write('docs/LAST_REVIEWED_SHA.txt', `${base}\n`);
    repo.commit('baseline');
    const reviewedHead = repo.head();
    await review(repo, base);
    // review finish: refused for simulated verdicts, then the real one advances the baseline.
    await review(repo, base, { simulate: true });
    expect(() => finishReview({ repo: repo.dir })).toThrow(expect.objectContaining({ code: 'verdict_simulated', exitCode: 3 }));
    await review(repo, base);
    repo.write('staged.txt', 'not part of the baseline commit\n');
    git(repo.dir, ['add', 'staged.txt']);
    const f = finishReview({ repo: repo.dir });
    expect(f.reviewed_sha).toBe(reviewedHead);
    expect(git(repo.dir, ['show', '--name-only', '--format=', 'HEAD'])).toBe('docs/LAST_REVIEWED_SHA.txt');
    expect(git(repo.dir, ['show', 'HEAD:docs/LAST_REVIEWED_SHA.txt'])).toBe(reviewedHead);
    expect(git(repo.dir, ['diff', '--cached', '--name-only'])).toBe('staged.txt');
    const finished = repo.head();
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(finished, base)) })).toMatchObject({ ok: true });
    // A baseline "advance" that names another commit is not the tolerated diff.
    git(repo.dir, ['reset', '-q', '--hard', reviewedHead]);
    repo.write('docs/LAST_REVIEWED_SHA.txt', `${head}\n`);
    const forged = repo.commit('forged baseline');
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(forged, base)) }).updates[0]?.reason).toMatch(/does not name the reviewed commit/);
  });

  it('a new branch is reviewed from where it meets the remote; a deletion pushes nothing', async () => {
    const { repo, head } = twoCommits();
    const { EMPTY_TREE } = await import('../src/index.js');
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(head, ZERO)) }).updates[0]).toMatchObject({
      ok: false,
      range: { since: EMPTY_TREE, to: head },
    });
    await review(repo, EMPTY_TREE);
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(head, ZERO)) }).ok).toBe(true);
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(ZERO, head)) }).updates[0]).toMatchObject({
      ok: true,
      reason: expect.stringMatching(/deletes/),
    });
    expect(() => parsePrePushInput('refs/heads/main abc refs/heads/main def\n')).toThrow(/not a pre-push line/);
    // Commits that change no file need no review.
    git(repo.dir, ['commit', '-q', '--allow-empty', '-m', 'empty']);
    const empty = repo.head();
    expect(checkPush({ repo: repo.dir, updates: parsePrePushInput(line(empty, head)) }).updates[0]).toMatchObject({
      ok: true,
      reason: 'the pushed range changes no file',
    });
  });

  it('an annotated tag is its commit; a ref at commits the remote already has pushes nothing new', () => {
    const { repo, head } = twoCommits();
    const remote = join(testdir(), 'remote.git');
    git(repo.dir, ['init', '-q', '--bare', remote]);
    git(repo.dir, ['push', '-q', remote, `${head}:refs/heads/main`]);
    git(repo.dir, ['fetch', '-q', remote, '+refs/heads/*:refs/remotes/r/*']);
    git(repo.dir, ['tag', '-a', '-m', 'v1', 'v1', head]);
    const tag = git(repo.dir, ['rev-parse', 'v1']);
    expect(tag).not.toBe(head);
    const push = (ref: string, sha: string) =>
      checkPush({ repo: repo.dir, remote: 'r', updates: parsePrePushInput(`${ref} ${sha} ${ref} ${ZERO}\n`) }).updates[0];
    expect(push('refs/tags/v1', tag)).toMatchObject({ ok: true, reason: 'every pushed commit is already on the remote' });
    repo.write('n.txt', 'n\n');
    const next = repo.commit();
    git(repo.dir, ['tag', '-a', '-m', 'v2', 'v2', next]);
    expect(push('refs/tags/v2', git(repo.dir, ['rev-parse', 'v2']))).toMatchObject({ ok: false, range: { since: head, to: next } });
    const tree = git(repo.dir, ['rev-parse', 'HEAD^{tree}']);
    git(repo.dir, ['tag', 'treetag', tree]);
    expect(push('refs/tags/treetag', tree)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not point to a commit/) });
  });
});

describe('update check-gate', () => {
  it('passes only when the target is the reviewed commit (or its baseline advance)', async () => {
    const { repo, base, head } = twoCommits();
    expect(checkUpdateGate({ repo: repo.dir, ref: 'HEAD' })).toMatchObject({ ok: false, reason: expect.stringMatching(/does not exist/) });
    repo.write('docs/LAST_REVIEWED_SHA.txt', 'not a sha\n');
    repo.commit();
    expect(checkUpdateGate({ repo: repo.dir, ref: 'HEAD' })).toMatchObject({ ok: false, reason: expect.stringMatching(/does not hold a full commit SHA/) });
    git(repo.dir, ['reset', '-q', '--hard', head]);
    repo.write('docs/LAST_REVIEWED_SHA.txt', `${head}\n`);
    repo.commit('advance');
    expect(checkUpdateGate({ repo: repo.dir, ref: 'HEAD' })).toMatchObject({ ok: true, reviewed_sha: head });
    repo.write('docs/LAST_REVIEWED_SHA.txt', `${base}\n`);
    repo.commit('points back');
    expect(checkUpdateGate({ repo: repo.dir, ref: 'HEAD' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not contain the reviewed commit|changes/),
    });
    git(repo.dir, ['reset', '-q', '--hard', 'HEAD~1']);
    repo.write('a.txt', 'unreviewed\n');
    repo.commit();
    expect(checkUpdateGate({ repo: repo.dir, ref: 'HEAD' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/changes 1 file after the reviewed commit/),
    });
  });
});

describe('hooks install', () => {
  it('writes the pre-push hook and core.hooksPath, idempotently, and leaves foreign hooks alone', () => {
    const { repo } = twoCommits();
    const first = installHooks({ repo: repo.dir });
    expect(first).toMatchObject({ hooks_path: '.githooks', changed: true });
    expect(git(repo.dir, ['config', 'core.hooksPath'])).toBe('.githooks');
    expect(readFileSync(join(repo.dir, '.githooks/pre-push'), 'utf8')).toContain('exec openclaw review gate --remote "$1"');
    expect(installHooks({ repo: repo.dir }).changed).toBe(false);
    writeFileSync(join(repo.dir, '.githooks/pre-push'), '#!/bin/sh\nexit 0\n');
    expect(() => installHooks({ repo: repo.dir })).toThrow(expect.objectContaining({ code: 'hook_exists' }));
    expect(installHooks({ repo: repo.dir, force: true }).changed).toBe(true);
    git(repo.dir, ['config', 'core.hooksPath', 'other-hooks']);
    expect(() => installHooks({ repo: repo.dir })).toThrow(expect.objectContaining({ code: 'hooks_path_taken' }));
  });
});
