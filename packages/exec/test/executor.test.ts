/**
 * The read-only repo executor: the worktree it hands a job (hooksPath, no write bit, push disabled),
 * MUTATION_DETECTED when a job changes it anyway, the sandbox's read-only bind with ARTIFACT_DIR the
 * only writable place, params as env, artifact.json's invariants — and doctor_task and
 * review_bundle_task, which run the built openclaw binary inside the executor.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { checkoutRepo } from '../src/jobs/checkout.js';
import { enqueueJob } from '../src/jobs/enqueue.js';
import { builtinHandlers } from '../src/jobs/handlers/index.js';
import { openclawCli } from '../src/jobs/handlers/openclaw-cli.js';
import { runTests } from '../src/jobs/handlers/test-runner.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ExecStore } from '../src/store/types.js';
import { Worker } from '../src/worker/worker.js';
import { DEFAULT_TYPES, jobs, repos, spec } from './support/allowlists.js';
import { git, gitRepo } from './support/git.js';
import { runtimeFor } from './support/worker.js';

const CLI = { workerId: 'cli', host: 'test' };
const stores: ExecStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const TYPES = {
  ...DEFAULT_TYPES,
  gateway_test_task: spec({
    handler: 'argv',
    argv: ['{runner}', 'test'],
    subprocess: true,
    host: 'gateway',
    requires_repo_allowlist: true,
    allowed_params: { runner: { type: 'enum', values: ['make'], required: true } },
  }),
  doctor_task: spec({ host: 'gateway', timeout_sec: 120, allowed_params: { only: { type: 'string', pattern: '^[a-z0-9_.,-]{1,500}$' } } }),
  review_bundle_task: spec({
    requires_repo_allowlist: true,
    timeout_sec: 300,
    allowed_params: {
      since: { type: 'string', pattern: '^[0-9a-f]{40}$', required: true },
      size_cap: { type: 'string', pattern: '^[0-9]{1,12}(kb|mb)?$', default: '100kb' },
    },
  }),
};

async function world(files: Record<string, string>) {
  const repo = gitRepo(files);
  const home = testdir();
  const store = await SqliteStore.open(join(home, 'state/exec.db'));
  stores.push(store);
  const allowlists = { jobs: jobs(TYPES), repos: repos({ demo: repo.dir }) };
  const enqueue = (type: string, params: Record<string, string> = {}, ref: string | null = repo.sha) =>
    enqueueJob(store, allowlists, { type, params, ...(ref ? { repo: 'demo', ref } : {}) }, CLI);
  const handlers = new Map([...builtinHandlers(), ['gateway_test_task', runTests]]);
  const work = async () => new Worker({ store, allowlists, handlers, runtime: runtimeFor(home), once: true, hostId: 'test' }).run();
  const artifact = (id: string) => JSON.parse(readFileSync(join(home, 'artifacts', id, 'artifact.json'), 'utf8'));
  return { repo, home, store, enqueue, work, artifact };
}

function writableBits(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o222) out.push(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(root);
  return out;
}

describe('the read-only worktree', () => {
  it.each([
    ['with a .githooks directory: core.hooksPath .githooks', { '.githooks/pre-commit': '#!/bin/sh\nexit 0\n', 'a.txt': 'a\n' }, '.githooks'],
    ['without one: hooks disabled (core.hooksPath /dev/null)', { 'a.txt': 'a\n' }, '/dev/null'],
  ])('%s, in the worktree’s own git dir; nothing writable; push disabled', async (_name, files, hooks) => {
    const repo = gitRepo(files);
    const co = await checkoutRepo({ name: 'demo', url: repo.dir }, repo.sha, { mirrorsDir: join(testdir(), 'mirrors') });
    try {
      expect(co.hooksPath).toBe(hooks);
      expect(git(co.dir, 'config', '--local', 'core.hooksPath')).toBe(hooks);
      expect(git(co.dir, 'remote', 'get-url', '--push', 'origin')).toBe('DISABLED');
      expect(writableBits(co.dir)).toEqual([]);
      expect(await co.verify()).toEqual({ read_only_ok: true, clean_tree_ok: true, changed: [], writable: [] });
    } finally {
      await co.cleanup();
    }
    expect(existsSync(co.dir)).toBe(false);
  });
});

describe('MUTATION_DETECTED', () => {
  it('a job that writes into its worktree (on the host, where root ignores the missing write bits) fails with the changed files', async () => {
    const { enqueue, work, artifact, store } = await world({
      Makefile: 'test:\n\t@echo generated > generated.txt\n\t@echo edited >> README.md\n',
      'README.md': 'x\n',
    });
    const job = await enqueue('gateway_test_task', { runner: 'make' });
    const s = await work();
    expect(s.jobs[0]?.state).toBe('failed');
    expect(s.jobs[0]?.error).toMatch(/^MUTATION_DETECTED: .*M README\.md.*\?\? generated\.txt/);
    const a = artifact(job.id);
    expect(a).toMatchObject({
      status: 'MUTATION_DETECTED',
      exit_code: 0,
      params: { runner: 'make' },
      // The new file has write bits too: both invariants are broken.
      invariants: { read_only_ok: false, clean_tree_ok: false },
      changed_files: [' M README.md', '?? generated.txt'],
    });
    expect((await store.getJob(job.id))?.result).toMatchObject({ code: 'MUTATION_DETECTED', changed_files: [' M README.md', '?? generated.txt'] });
  });

  it('inside the sandbox the worktree is bound read-only: the write fails, ARTIFACT_DIR is the one writable place, params arrive as env', async () => {
    const { enqueue, work, artifact, home } = await world({
      Makefile: 'test:\n\t@echo "runner=$$OPENCLAW_PARAM_RUNNER" > "$$ARTIFACT_DIR/out.txt"\n\t@touch inside.txt || echo worktree-write-refused\n',
      'README.md': 'x\n',
    });
    const job = await enqueue('test_runner_task', { runner: 'make' });
    const s = await work();
    expect(s.jobs[0]?.state).toBe('completed');
    expect(readFileSync(join(home, 'artifacts', job.id, 'out.txt'), 'utf8')).toBe('runner=make\n');
    const ev = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'evidence.json'), 'utf8'));
    expect(ev[0].stdout).toBe('worktree-write-refused\n');
    expect(ev[0].stderr).toMatch(/Read-only file system/);
    expect(artifact(job.id)).toMatchObject({
      status: 'completed',
      exit_code: 0,
      invariants: { read_only_ok: true, clean_tree_ok: true },
      outputs: ['evidence.json'],
    });
  });
});

describe('jobs that run openclaw itself', () => {
  it('finds the built CLI entry', () => {
    const cli = openclawCli({});
    expect(cli?.[0]).toBe(process.execPath);
    expect(cli?.[1]).toMatch(/packages\/cli\/dist\/run\.js$/);
  });

  it('doctor_task runs `openclaw doctor --json` on the host and keeps the report', async () => {
    const { enqueue, work, artifact, home } = await world({ 'a.txt': 'a\n' });
    const job = await enqueue('doctor_task', { only: 'runtime' }, null);
    const s = await work();
    expect(s.jobs[0]?.state, s.jobs[0]?.error).toBe('completed');
    const report = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'doctor.json'), 'utf8'));
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual(['runtime.versions']);
    expect(artifact(job.id)).toMatchObject({
      status: 'completed',
      exit_code: 0,
      params: { only: 'runtime' },
      outputs: ['doctor.json'],
      invariants: { read_only_ok: null, clean_tree_ok: null },
    });
  });

  it('review_bundle_task runs `openclaw review-bundle` in the sandbox on the read-only worktree, writing to ARTIFACT_DIR', async () => {
    const { enqueue, work, artifact, home, repo } = await world({ 'src/a.ts': 'export const a = 1;\n' });
    const second = repo.commit({ 'src/a.ts': 'export const a = 2;\n', 'src/b.ts': 'export const b = 1;\n' });
    const job = await enqueue('review_bundle_task', { since: repo.sha }, second);
    const s = await work();
    expect(s.jobs[0]?.state, s.jobs[0]?.error).toBe('completed');
    const dir = join(home, 'artifacts', job.id);
    expect(JSON.parse(readFileSync(join(dir, 'review-bundle.json'), 'utf8'))).toMatchObject({
      status: 'ok',
      since_sha: repo.sha,
      to_sha: second,
      stats: { files: 2 },
    });
    expect(readdirSync(join(dir, 'review')).length).toBeGreaterThan(0);
    expect(artifact(job.id)).toMatchObject({ status: 'completed', exit_code: 0, invariants: { read_only_ok: true, clean_tree_ok: true } });
  });
});
