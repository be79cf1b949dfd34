/**
 * Checks of openclaw's own files: config, approvals (validity, permissions, what weakens the
 * policy), state and secrets permissions with --fix, allowlists and the sandbox — on real files.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { findWeakenings } from '../src/checks/approvals.js';
import { runDoctor } from '../src/run.js';

function world() {
  const dir = testdir();
  const home = join(dir, '.openclaw');
  mkdirSync(home, { mode: 0o700 });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, OPENCLAW_HOME: home };
  const run = async (only: string, extra: { fix?: boolean } = {}) =>
    (await runDoctor({ env, cwd: dir, only: [only], ...extra })).checks[0] as NonNullable<Awaited<ReturnType<typeof runDoctor>>['checks'][0]>;
  return { dir, home, env, run };
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8).padStart(4, '0');
const approvals = (o: object) => JSON.stringify({ version: 1, ...o });

describe('config.valid', () => {
  it('no config: the defaults, a pass', async () => {
    expect(await world().run('config.valid')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/embedded defaults/) });
  });

  it('an invalid config fails with the file, line and key', async () => {
    const w = world();
    writeFileSync(join(w.home, 'openclaw.yaml'), 'version: 1\ntools:\n  exec:\n    security: yolo\n');
    const c = await w.run('config.valid');
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/openclaw\.yaml:4:\d+: tools\.exec\.security/);
    expect(c.remediation).toMatch(/openclaw config validate/);
  });

  it('OPENCLAW_CONFIG naming a missing file fails', async () => {
    const w = world();
    const r = await runDoctor({ env: { ...w.env, OPENCLAW_CONFIG: join(w.dir, 'nope.yaml') }, cwd: w.dir, only: ['config.valid'] });
    expect(r.checks[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/nope\.yaml \(from OPENCLAW_CONFIG\) does not exist/) });
  });

  it('a config others can write fails; --fix removes group/other write and nothing else', async () => {
    const w = world();
    const file = join(w.home, 'openclaw.yaml');
    writeFileSync(file, 'version: 1\n');
    chmodSync(file, 0o666);
    expect(await w.run('config.valid')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/writable by everyone \(0666\)/) });
    const fixed = await runDoctor({ env: w.env, cwd: w.dir, only: ['config.valid'], fix: true });
    expect(fixed.fixes).toEqual([expect.objectContaining({ path: file, before: '0666', after: '0644', applied: true })]);
    expect(fixed.checks[0]?.status).toBe('pass');
    expect(readFileSync(file, 'utf8')).toBe('version: 1\n');
  });
});

describe('approvals.valid', () => {
  it('a valid private file passes and counts its entries', async () => {
    const w = world();
    const f = join(w.home, 'exec-approvals.json');
    writeFileSync(f, approvals({ agents: { main: { allowlist: [{ pattern: '/usr/bin/git' }] } } }), { mode: 0o600 });
    expect(await w.run('approvals.valid')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/1 agent entry, 1 allowlist patterns/) });
  });

  it('a readable-by-others file fails (every command denied) and --fix makes it 0600 without touching its bytes', async () => {
    const w = world();
    const f = join(w.home, 'exec-approvals.json');
    const body = approvals({ defaults: { security: 'allowlist' } });
    writeFileSync(f, body);
    chmodSync(f, 0o644);
    const before = await w.run('approvals.valid');
    expect(before).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/permissions 0644 .*every command is denied/),
      remediation: `chmod 600 ${f}`,
    });
    const r = await runDoctor({ env: w.env, cwd: w.dir, only: ['approvals.valid'], fix: true });
    expect(r.checks[0]?.status).toBe('pass');
    expect(mode(f)).toBe('0600');
    expect(readFileSync(f, 'utf8')).toBe(body);
  });

  it('a corrupt file fails and --fix leaves it alone (contents are never rewritten)', async () => {
    const w = world();
    const f = join(w.home, 'exec-approvals.json');
    writeFileSync(f, '{"version": 1,', { mode: 0o600 });
    const r = await runDoctor({ env: w.env, cwd: w.dir, only: ['approvals.valid'], fix: true });
    expect(r.checks[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/not valid JSON/) });
    expect(r.fixes).toEqual([]);
    expect(readFileSync(f, 'utf8')).toBe('{"version": 1,');
  });

  it('a symlinked approvals file fails and is not followed by --fix', async () => {
    const w = world();
    const real = join(w.dir, 'elsewhere.json');
    writeFileSync(real, approvals({}));
    chmodSync(real, 0o644);
    symlinkSync(real, join(w.home, 'exec-approvals.json'));
    const r = await runDoctor({ env: w.env, cwd: w.dir, only: ['approvals.valid'], fix: true });
    expect(r.checks[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/symlink/) });
    expect(mode(real)).toBe('0644');
  });
});

describe('approvals.weakening', () => {
  it.each<[string, object, string | undefined, string[]]>([
    ['a specific program', { agents: { main: { allowlist: [{ pattern: '/usr/bin/git' }] } } }, undefined, []],
    ['bash allowlisted', { agents: { main: { allowlist: [{ pattern: '/usr/bin/bash' }] } } }, undefined, ['fail']],
    ['python3.11 allowlisted', { agents: { main: { allowlist: [{ pattern: '/usr/bin/python3.11' }] } } }, undefined, ['fail']],
    ['env allowlisted', { agents: { '*': { allowlist: [{ pattern: '/usr/bin/env' }] } } }, undefined, ['fail']],
    ['a glob over /usr/bin', { agents: { main: { allowlist: [{ pattern: '/usr/bin/*' }] } } }, undefined, ['fail']],
    ['**/ matches any interpreter', { agents: { main: { allowlist: [{ pattern: '**/node' }] } } }, undefined, ['fail']],
    ['a glob that misses interpreters', { agents: { main: { allowlist: [{ pattern: '/opt/tools/bin/*' }] } } }, undefined, []],
    ['security full in defaults', { defaults: { security: 'full' } }, undefined, ['warn']],
    ['askFallback full for an agent', { agents: { ci: { askFallback: 'full' } } }, undefined, ['warn']],
    ['security full in the config', {}, 'full', ['warn']],
  ])('%s', (_name, file, configSecurity, severities) => {
    const found = findWeakenings({ version: 1, ...file } as never, configSecurity as never, undefined, '/home/u');
    expect(found.map((f) => f.severity)).toEqual(severities);
  });

  it('the check fails on an interpreter and names the entry', async () => {
    const w = world();
    writeFileSync(join(w.home, 'exec-approvals.json'), approvals({ agents: { main: { allowlist: [{ pattern: '/bin/sh' }] } } }), { mode: 0o600 });
    expect(await w.run('approvals.weakening')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/agents\.main\.allowlist\[0\] \/bin\/sh: sh runs any code/),
    });
  });

  it('skips, with why, when the approvals file cannot be read', async () => {
    const w = world();
    writeFileSync(join(w.home, 'exec-approvals.json'), 'nope', { mode: 0o600 });
    expect(await w.run('approvals.weakening')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/see approvals\.valid/) });
  });
});

describe('state.permissions and --fix', () => {
  it('skips when $OPENCLAW_HOME does not exist yet', async () => {
    const dir = testdir();
    const r = await runDoctor({ env: { PATH: process.env.PATH ?? '', HOME: dir, OPENCLAW_HOME: join(dir, 'none') }, cwd: dir, only: ['state.permissions'] });
    expect(r.checks[0]).toMatchObject({ status: 'skip', detail: expect.stringMatching(/does not exist yet/) });
  });

  it('open home, state and secrets fail; --fix tightens them (chmod only), then they pass', async () => {
    const w = world();
    chmodSync(w.home, 0o755);
    mkdirSync(join(w.home, 'state'), { mode: 0o755 });
    mkdirSync(join(w.home, 'secrets'), { mode: 0o700 });
    writeFileSync(join(w.home, 'state/exec.db'), 'SQLite format 3\0');
    chmodSync(join(w.home, 'state/exec.db'), 0o644);
    writeFileSync(join(w.home, 'secrets/openai'), 'sk-test-secret');
    chmodSync(join(w.home, 'secrets/openai'), 0o640);
    const before = await w.run('state.permissions');
    expect(before.status).toBe('fail');
    expect((before.evidence.problems as unknown[]).length).toBe(4);
    const r = await runDoctor({ env: w.env, cwd: w.dir, only: ['state.permissions'], fix: true });
    expect(r.fixes?.map((f) => [f.path.slice(w.home.length), f.before, f.after, f.applied])).toEqual([
      ['', '0755', '0700', true],
      ['/state', '0755', '0700', true],
      ['/state/exec.db', '0644', '0600', true],
      ['/secrets/openai', '0640', '0600', true],
    ]);
    expect(r.checks[0]?.status).toBe('pass');
    expect(readFileSync(join(w.home, 'secrets/openai'), 'utf8')).toBe('sk-test-secret');
  });

  it('a symlink in secrets/ fails and is not "fixed"', async () => {
    const w = world();
    mkdirSync(join(w.home, 'secrets'), { mode: 0o700 });
    writeFileSync(join(w.dir, 'target'), 'x');
    chmodSync(join(w.dir, 'target'), 0o644);
    symlinkSync(join(w.dir, 'target'), join(w.home, 'secrets/openai'));
    const r = await runDoctor({ env: w.env, cwd: w.dir, only: ['state.permissions'], fix: true });
    expect(r.checks[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/secrets\/openai is a symlink/) });
    expect(r.fixes).toEqual([]);
    expect(mode(join(w.dir, 'target'))).toBe('0644');
  });

  it('without --fix nothing changes', async () => {
    const w = world();
    chmodSync(w.home, 0o777);
    await w.run('state.permissions');
    expect(mode(w.home)).toBe('0777');
  });
});

describe('allowlists.valid and sandbox.available', () => {
  it('the bundled allowlists load', async () => {
    const c = await world().run('allowlists.valid');
    expect(c.status).toBe('pass');
    expect(c.detail).toMatch(/6 job types .*1 repos/);
  });

  it('a broken job allowlist fails with its problem', async () => {
    const w = world();
    writeFileSync(join(w.home, 'jobs.yaml'), 'version: 1\njobs:\n  x: {handler: nope}\n');
    writeFileSync(join(w.home, 'openclaw.yaml'), 'version: 1\njobs:\n  allowlist: jobs.yaml\n');
    expect(await w.run('allowlists.valid')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^jobs: .*jobs\.yaml/) });
  });

  it('no bwrap on the policy PATH: fail with host sandbox (every command denied), warn with host gateway', async () => {
    const w = world();
    const empty = testdir();
    writeFileSync(join(w.home, 'openclaw.yaml'), `version: 1\ntools:\n  exec:\n    path: [${empty}]\n`);
    expect(await w.run('sandbox.available')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/not installed .*every sandboxed command is denied/),
    });
    writeFileSync(join(w.home, 'openclaw.yaml'), `version: 1\ntools:\n  exec:\n    host: gateway\n    path: [${empty}]\n`);
    expect(await w.run('sandbox.available')).toMatchObject({ status: 'warn' });
  });
});
