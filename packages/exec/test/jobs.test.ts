/** Enqueue validation, the executor's mirror and worktree, and the built-in job types run by a real worker. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { checkoutRepo } from '../src/jobs/checkout.js';
import { enqueueJob } from '../src/jobs/enqueue.js';
import { digestDocument } from '../src/jobs/handlers/doc-compactor.js';
import { builtinHandlers } from '../src/jobs/handlers/index.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { type ExecStore, newJobId } from '../src/store/types.js';
import { Worker } from '../src/worker/worker.js';
import { DEFAULT_TYPES, jobs, repos, spec } from './support/allowlists.js';
import { git, gitRepo } from './support/git.js';
import { runtimeFor } from './support/worker.js';

const CLI = { workerId: 'cli', host: 'test' };
const stores: ExecStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function world(files: Record<string, string>, types: Record<string, ReturnType<typeof spec>> = DEFAULT_TYPES) {
  const repo = gitRepo(files);
  const home = testdir();
  const store = await SqliteStore.open(join(home, 'state/exec.db'));
  stores.push(store);
  const allowlists = { jobs: jobs(types), repos: repos({ demo: repo.dir }) };
  const enqueue = (type: string, params: Record<string, string> = {}, ref = repo.sha) =>
    enqueueJob(store, allowlists, { type, params, repo: 'demo', ref }, CLI);
  const work = async () => {
    const w = new Worker({ store, allowlists, handlers: builtinHandlers(), runtime: runtimeFor(home), once: true, hostId: 'test' });
    return w.run();
  };
  return { repo, home, store, allowlists, enqueue, work };
}

describe('enqueue validation', () => {
  const table: [string, { type: string; params?: Record<string, string>; repo?: string; ref?: string }, string][] = [
    ['an unknown job type', { type: 'rm_rf_task' }, 'job_type_not_allowed'],
    ['a parameter not allowed', { type: 'repo_index_task', params: { evil: '1' }, repo: 'demo', ref: 'a'.repeat(40) }, 'param_not_allowed'],
    ['a parameter of the wrong type', { type: 'repo_index_task', params: { max_files: 'many' }, repo: 'demo', ref: 'a'.repeat(40) }, 'param_invalid'],
    ['a repo job without a repo', { type: 'repo_index_task' }, 'repo_required'],
    ['a repo not in the allowlist', { type: 'repo_index_task', repo: 'other', ref: 'a'.repeat(40) }, 'repo_not_allowed'],
    ['a ref that is not a full SHA', { type: 'repo_index_task', repo: 'demo', ref: 'main' }, 'ref_invalid'],
    ['an enum value not listed', { type: 'test_runner_task', params: { runner: 'bash' }, repo: 'demo', ref: 'a'.repeat(40) }, 'param_invalid'],
    ['an argv job not granted subprocess', { type: 'shell_task', repo: 'demo', ref: 'a'.repeat(40) }, 'subprocess_not_granted'],
  ];
  it.each(table)('refuses %s', async (_name, req, code) => {
    const { store, allowlists } = await world(
      { 'README.md': '# x\n' },
      { ...DEFAULT_TYPES, shell_task: spec({ handler: 'argv', argv: ['sh'], requires_repo_allowlist: true }) },
    );
    await expect(enqueueJob(store, allowlists, req, CLI)).rejects.toMatchObject({ code });
    expect((await store.jobCounts()).queued).toBe(0);
  });

  it('queues a valid job with its parameters coerced and defaults filled, and records it', async () => {
    const { enqueue, store, repo } = await world({ 'README.md': '# x\n' });
    const job = await enqueue('doc_compactor_task', { max_chars: '5000' });
    expect(job).toMatchObject({
      state: 'queued',
      type: 'doc_compactor_task',
      params: { max_chars: 5000, docs_dir: 'docs' },
      repo: 'demo',
      ref: repo.sha,
      maxAttempts: 3,
    });
    const [ev] = await store.jobEvents(job.id);
    expect(JSON.parse(ev!.body)).toMatchObject({ type: 'enqueue', worker_id: 'cli', data: { job_type: 'doc_compactor_task', repo: 'demo', ref: repo.sha } });
  });
});

describe('the read-only executor: mirror and worktree', () => {
  it('mirrors the allowlisted URL (push disabled), checks out the pinned SHA detached, and cleans up', async () => {
    const repo = gitRepo({ 'a.txt': 'one\n' });
    const mirrors = join(testdir(), 'mirrors');
    const co = await checkoutRepo({ name: 'demo', url: repo.dir }, repo.sha, { mirrorsDir: mirrors });
    expect(co.head).toBe(repo.sha);
    expect(readFileSync(join(co.dir, 'a.txt'), 'utf8')).toBe('one\n');
    expect(git(join(mirrors, 'demo.git'), 'config', '--get', 'core.bare')).toBe('true');
    expect(git(join(mirrors, 'demo.git'), 'remote', 'get-url', '--push', 'origin')).toBe('DISABLED');
    expect(() => git(co.dir, 'symbolic-ref', 'HEAD')).toThrow(); // detached
    await co.cleanup();
    expect(existsSync(co.dir)).toBe(false);
  });

  it('fetches a commit the mirror does not have yet; an unknown commit is ref_not_found', async () => {
    const repo = gitRepo({ 'a.txt': 'one\n' });
    const mirrors = join(testdir(), 'mirrors');
    await (await checkoutRepo({ name: 'demo', url: repo.dir }, repo.sha, { mirrorsDir: mirrors })).cleanup();
    const second = repo.commit({ 'a.txt': 'two\n' });
    const co = await checkoutRepo({ name: 'demo', url: `file://${repo.dir}` }, second, { mirrorsDir: mirrors });
    expect(readFileSync(join(co.dir, 'a.txt'), 'utf8')).toBe('two\n');
    await co.cleanup();
    await expect(checkoutRepo({ name: 'demo', url: repo.dir }, 'b'.repeat(40), { mirrorsDir: mirrors })).rejects.toMatchObject({ code: 'ref_not_found' });
  });

  it('concurrent checkouts of one repo share one mirror without tripping over each other', async () => {
    const repo = gitRepo({ 'a.txt': 'one\n' });
    const mirrors = join(testdir(), 'mirrors');
    const cos = await Promise.all(Array.from({ length: 4 }, () => checkoutRepo({ name: 'demo', url: repo.dir }, repo.sha, { mirrorsDir: mirrors })));
    expect(new Set(cos.map((c) => c.dir)).size).toBe(4);
    for (const c of cos) await c.cleanup();
  });
});

describe('job types', () => {
  it('repo_index_task writes an index of paths, sizes, languages and HEAD', async () => {
    const { enqueue, work, home, store, repo } = await world({
      'src/main.ts': 'export {};\n',
      'lib/util.py': 'x = 1\n',
      'README.md': '# Demo\n',
      Makefile: 'all:\n',
    });
    const job = await enqueue('repo_index_task');
    const summary = await work();
    expect(summary.jobs).toMatchObject([{ id: job.id, state: 'completed' }]);
    const index = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'index.json'), 'utf8'));
    expect(index.head).toBe(repo.sha);
    expect(index.files).toEqual(
      [
        { path: 'lib/util.py', size: 6, language: 'Python', type: 'file' },
        { path: 'Makefile', size: 5, language: 'Makefile', type: 'file' },
        { path: 'README.md', size: 7, language: 'Markdown', type: 'file' },
        { path: 'src/main.ts', size: 11, language: 'TypeScript', type: 'file' },
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    expect(index.totals).toMatchObject({ files: 4, bytes: 29 });
    const artifact = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'artifact.json'), 'utf8'));
    expect(artifact).toMatchObject({ job_id: job.id, status: 'completed', outputs: ['index.json'], ref: repo.sha });
    expect(statSync(join(home, 'artifacts', job.id)).mode & 0o777).toBe(0o700);
    expect((await store.getJob(job.id))?.result).toMatchObject({ head: repo.sha, files: 4 });
    expect((await store.jobEvents(job.id)).map((r) => JSON.parse(r.body).type)).toEqual(['enqueue', 'claim', 'complete']);
  });

  it('repo_index_task stops at max_files and says so', async () => {
    const { enqueue, work, home } = await world({ 'a.txt': '1', 'b.txt': '2', 'c.txt': '3' });
    const job = await enqueue('repo_index_task', { max_files: '2' });
    await work();
    const artifact = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'artifact.json'), 'utf8'));
    expect(artifact.warnings).toEqual(['stopped after max_files=2 files']);
    expect(JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'index.json'), 'utf8')).files).toHaveLength(2);
  });

  it('doc_compactor_task compacts a docs tree into a digest of headings, summaries and links', async () => {
    const { enqueue, work, home } = await world({
      'docs/guide.md':
        '# Guide\n\nHow to **use** the [tool](https://example.com/tool).\nSecond line.\n\n## Install\n\ntext\n\n```\n# not a heading\n```\n\n### Deep\nSee <https://example.org>.\n',
      'docs/api/ref.md': '# API\n\nEvery call.\n',
      'docs/notes.txt': 'Plain notes\nmore\n\nlater',
      'docs/image.png': 'binary',
    });
    const job = await enqueue('doc_compactor_task');
    const s = await work();
    expect(s.jobs[0]?.state).toBe('completed');
    const digest = readFileSync(join(home, 'artifacts', job.id, 'digest.md'), 'utf8');
    expect(digest).toContain('3 documents.');
    expect(digest).toContain(
      '## docs/guide.md\n\n**Guide**\n\nHow to use the tool. Second line.\n\n- Install\n  - Deep\n\nLinks: [tool](https://example.com/tool), <https://example.org>',
    );
    expect(digest).not.toContain('not a heading');
    const json = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'digest.json'), 'utf8'));
    expect(json.documents.map((d: { path: string }) => d.path)).toEqual(['api/ref.md', 'guide.md', 'notes.txt']);
  });

  it('doc_compactor_task stays within max_chars and names what it left out', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`docs/d${String(i).padStart(2, '0')}.md`] = `# Doc ${i}\n\n${'word '.repeat(60)}\n`;
    const { enqueue, work, home } = await world(files);
    const job = await enqueue('doc_compactor_task', { max_chars: '2000' });
    await work();
    const digest = readFileSync(join(home, 'artifacts', job.id, 'digest.md'), 'utf8');
    expect(digest.length).toBeLessThanOrEqual(2000);
    expect(digest).toMatch(/… \d+ more documents omitted \(digest limit 2000 characters\)\.\n$/);
  });

  it('doc_compactor_task refuses a docs_dir outside the repo', async () => {
    const { enqueue, work } = await world({ 'docs/a.md': '# A\n' });
    await enqueue('doc_compactor_task', { docs_dir: 'docs/../..' });
    const s = await work();
    expect(s.jobs[0]).toMatchObject({ state: 'failed', error: expect.stringContaining('".."') });
  });

  it('test_runner_task runs the allowlisted argv inside the sandbox and records the evidence', async () => {
    const { enqueue, work, home, store } = await world({ Makefile: 'test:\n\t@echo tests-ran-in $$(pwd)\n\t@test -f README.md\n', 'README.md': 'x' });
    const job = await enqueue('test_runner_task', { runner: 'make' });
    const s = await work();
    expect(s.jobs[0]?.state).toBe('completed');
    const evidence = JSON.parse(readFileSync(join(home, 'artifacts', job.id, 'evidence.json'), 'utf8'));
    expect(evidence[0]).toMatchObject({ argv: ['make', 'test'], returncode: 0, stdout: expect.stringMatching(/^tests-ran-in \/tmp\/openclaw-job-/) });
    const types = (await store.jobEvents(job.id)).map((r) => JSON.parse(r.body));
    expect(types.map((e) => e.type)).toEqual(['enqueue', 'claim', 'exec.started', 'exec.finished', 'complete']);
    expect(types[2].data.launcher).toBe('bwrap');
  });

  it('test_runner_task: a failing test fails the job with its exit code', async () => {
    const { enqueue, work, store } = await world({ Makefile: 'test:\n\t@echo failing >&2; exit 3\n' });
    const job = await enqueue('test_runner_task', { runner: 'make' });
    const s = await work();
    expect(s.jobs[0]).toMatchObject({ state: 'failed', error: 'exit 2' });
    expect((await store.getJob(job.id))?.result).toMatchObject({ exit_code: 2 });
  });

  it('test_runner_task on host gateway runs without the sandbox', async () => {
    const types = { ...DEFAULT_TYPES, test_runner_task: { ...DEFAULT_TYPES.test_runner_task, host: 'gateway' as const } };
    const { enqueue, work, store } = await world({ Makefile: 'test:\n\t@cat /proc/net/dev | wc -l\n' }, types);
    const job = await enqueue('test_runner_task', { runner: 'make' });
    expect((await work()).jobs[0]?.state).toBe('completed');
    const started = (await store.jobEvents(job.id)).map((r) => JSON.parse(r.body)).find((e) => e.type === 'exec.started');
    expect(started.data.launcher).toBe('host');
  });

  it('test_runner_task is refused by the worker when its spec no longer grants subprocess', async () => {
    const { enqueue, store, home, allowlists } = await world({ Makefile: 'test:\n\ttrue\n' });
    const job = await enqueue('test_runner_task', { runner: 'make' });
    const stricter = { ...allowlists, jobs: jobs({ ...DEFAULT_TYPES, test_runner_task: { ...DEFAULT_TYPES.test_runner_task, subprocess: false } }) };
    const s = await new Worker({ store, allowlists: stricter, handlers: builtinHandlers(), runtime: runtimeFor(home), once: true }).run();
    expect(s.jobs[0]).toMatchObject({ id: job.id, state: 'failed', error: expect.stringMatching(/^subprocess_not_granted/) });
  });

  it('a job whose type left the allowlist after it was queued fails closed', async () => {
    const { enqueue, store, home, allowlists } = await world({ 'a.txt': 'x' });
    await enqueue('repo_index_task');
    const { repo_index_task: _gone, ...rest } = DEFAULT_TYPES;
    const s = await new Worker({
      store,
      allowlists: { ...allowlists, jobs: jobs(rest) },
      handlers: builtinHandlers(),
      runtime: runtimeFor(home),
      once: true,
    }).run();
    expect(s.jobs[0]).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^job_not_allowed: job type repo_index_task is not in the job allowlist/),
    });
  });
});

describe('digestDocument', () => {
  it('reads reStructuredText titles by their underline', () => {
    const d = digestDocument('x.rst', 'Title\n=====\n\nFirst para\ncontinues.\n\nSection\n-------\n');
    expect(d.title).toBe('Title');
    expect(d.headings.map((h) => h.text)).toEqual(['Title', 'Section']);
    expect(d.summary).toBe('First para continues.');
  });
});

describe('job ids', () => {
  it('are j_, the time in base-36 milliseconds, then 16 random hex digits; time-ordered and unique', () => {
    const before = Date.now().toString(36);
    const ids = Array.from({ length: 20_000 }, () => newJobId());
    for (const id of ids) expect(id).toMatch(/^j_[0-9a-z]{8}[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect((ids[0] as string).slice(2, 10) >= before).toBe(true);
    // The random digits are not the UUID's fixed version and variant digits: every hex digit occurs at every position.
    for (let pos = 10; pos < 26; pos++) expect(new Set(ids.map((id) => id[pos])).size).toBe(16);
  });
});
