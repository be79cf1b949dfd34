/** The check framework: selection, registry, timeouts, crashes, summary, exit code and the report. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, OpenclawError } from '@openclaw/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import type { CheckDefinition } from '../src/check.js';
import { ledgerIntegrity } from '../src/checks/exec-plane.js';
import { listChecks, registerCheck } from '../src/registry.js';
import { renderReport } from '../src/render.js';
import { runDoctor, selectChecks } from '../src/run.js';

const plain = { red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s, bold: (s: string) => s };
const fixture = (f: string) => ({ text: readFileSync(join(import.meta.dirname, 'fixtures/listeners', f), 'utf8'), source: f });
const freshEnv = () => {
  const home = testdir();
  return { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, OPENCLAW_HOME: join(home, '.openclaw') }, cwd: home };
};

const SPEC_CHECKS = [
  'runtime.versions',
  'config.valid',
  'approvals.valid',
  'approvals.weakening',
  'state.permissions',
  'allowlists.valid',
  'sandbox.available',
  'ledger.integrity',
  'store.reachable',
  'model.endpoint',
  'systemd.user-bus',
  'repo.hooks',
  'tailscale',
  'sshd.config',
  'firewall',
  'ports.public',
];

describe('the checks', () => {
  it('cover SPEC §7, in report order', () => {
    expect(listChecks().map((c) => c.id)).toEqual(SPEC_CHECKS);
  });

  it('a full run on a fresh home: every check reports, with the documented shape', async () => {
    const r = await runDoctor(freshEnv());
    expect(r.checks.map((c) => c.id)).toEqual(SPEC_CHECKS);
    for (const c of r.checks) {
      expect(Object.keys(c).sort(), c.id).toEqual(['detail', 'duration_ms', 'evidence', 'id', 'remediation', 'severity', 'status', 'title']);
      expect(['pass', 'warn', 'fail', 'unknown', 'skip'], c.id).toContain(c.status);
      expect(c.detail, c.id).toMatch(/\w/);
    }
    const n = (s: string) => r.checks.filter((c) => c.status === s).length;
    expect(r.summary).toEqual({
      passed: n('pass'),
      total: r.checks.length - n('skip'),
      failed: n('fail'),
      warnings: n('warn'),
      unknown: n('unknown'),
      skipped: n('skip'),
      text: `${n('pass')}/${r.checks.length - n('skip')} passed`,
    });
    expect(r.ok).toBe(n('fail') === 0);
    expect(r.exit_code).toBe(n('fail') ? ExitCode.checkFailed : ExitCode.ok);
  });

  it('the exec plane checks on a fresh home: no store yet is said, not failed (exec-plane.test.ts has the rest)', async () => {
    const env = freshEnv();
    const r = await runDoctor({ ...env, only: ['ledger', 'store'] });
    expect(r.checks.map((c) => [c.id, c.status, c.detail])).toEqual([
      ['ledger.integrity', 'skip', 'no ledger yet: nothing recorded (the store is created on first use)'],
      ['store.reachable', 'pass', `no store yet: created on first use (${join(env.env.OPENCLAW_HOME, 'state/exec.db')})`],
    ]);
  });
});

describe('--only', () => {
  it.each<[string[], string[]]>([
    [['ports.public'], ['ports.public']],
    [['sshd'], ['sshd.config']],
    [['approvals'], ['approvals.valid', 'approvals.weakening']],
    [
      ['firewall', 'tailscale'],
      ['tailscale', 'firewall'],
    ],
    [[' ports.public ', ''], ['ports.public']],
  ])('%j selects %j', (only, ids) => {
    expect(selectChecks(listChecks(), only).map((c) => c.id)).toEqual(ids);
  });

  it('an unknown id is a usage error that lists the ids', () => {
    let err: unknown;
    try {
      selectChecks(listChecks(), ['port']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OpenclawError);
    expect((err as OpenclawError).exitCode).toBe(ExitCode.usage);
    expect((err as OpenclawError).reason).toBe('unknown check "port"');
    expect((err as OpenclawError).hint).toMatch(/ports\.public/);
  });
});

describe('checks other packages contribute', () => {
  const wired: CheckDefinition = {
    id: 'ledger.integrity',
    title: 'ledger',
    severity: 'high',
    run: async () => ({ status: 'pass', detail: '12 events, chain intact' }),
  };
  afterEach(() => registerCheck(ledgerIntegrity));

  it('registerCheck replaces the built-in check of the same id', async () => {
    registerCheck(wired);
    const r = await runDoctor({ ...freshEnv(), only: ['ledger.integrity'] });
    expect(r.checks[0]).toMatchObject({ id: 'ledger.integrity', status: 'pass', detail: '12 events, chain intact' });
  });

  it('runDoctor({checks}) adds checks for one run, in order after the built-ins', async () => {
    const extra: CheckDefinition = {
      id: 'exec.workers',
      title: 'workers',
      severity: 'low',
      run: async () => ({ status: 'warn', detail: 'no worker running' }),
    };
    const r = await runDoctor({ ...freshEnv(), checks: [extra], only: ['exec', 'ports'], ssOutput: fixture('mixed-host.ss-tlnp.txt') });
    expect(r.checks.map((c) => c.id)).toEqual(['ports.public', 'exec.workers']);
    expect(listChecks().map((c) => c.id)).not.toContain('exec.workers');
  });

  it('ids must be lower-case words joined by dots', () => {
    expect(() => registerCheck({ ...wired, id: 'Ledger Integrity' })).toThrow(/lower-case/);
  });

  it('a check that throws is unknown with the reason, not a pass and not a crash', async () => {
    const boom: CheckDefinition = { id: 'x.boom', title: 'boom', severity: 'low', run: async () => Promise.reject(new Error('disk on fire')) };
    const r = await runDoctor({ ...freshEnv(), checks: [boom], only: ['x'] });
    expect(r.checks[0]).toMatchObject({ status: 'unknown', detail: 'the check failed to run: disk on fire' });
  });

  it('a check that hangs is unknown after its bound', async () => {
    const hang: CheckDefinition = { id: 'x.hang', title: 'hang', severity: 'low', run: () => new Promise(() => {}) };
    const r = await runDoctor({ ...freshEnv(), checks: [hang], only: ['x'], checkTimeoutMs: 50 });
    expect(r.checks[0]).toMatchObject({ status: 'unknown', detail: 'did not finish within 50 ms' });
  });

  it('checks run at once, not one after another', async () => {
    const order: string[] = [];
    const slow = (id: string): CheckDefinition => ({
      id,
      title: id,
      severity: 'low',
      run: async () => {
        order.push(`start ${id}`);
        await new Promise((r) => setTimeout(r, 30));
        order.push(`end ${id}`);
        return { status: 'pass', detail: 'ok' };
      },
    });
    await runDoctor({ ...freshEnv(), checks: [slow('x.a'), slow('x.b')], only: ['x'] });
    expect(order.slice(0, 2)).toEqual(['start x.a', 'start x.b']);
  });
});

describe('exit code, summary and the human report', () => {
  it('a failing check: exit 3, ok false, the box names openclaw fix-ssh', async () => {
    const r = await runDoctor({ ...freshEnv(), only: ['ports.public'], ssOutput: fixture('mixed-host.ss-tlnp.txt') });
    expect(r).toMatchObject({ ok: false, exit_code: 3, sshd_public: true, summary: { passed: 0, total: 1, failed: 1, text: '0/1 passed' } });
    const text = renderReport(r, plain, 100);
    expect(text).toMatch(/^FAIL\s+ports\.public\s+4 public: sshd on 0\.0\.0\.0:22, \[::\]:22/m);
    expect(text).toMatch(/╭─ sshd is reachable from the internet ─+╮/);
    expect(text).toMatch(/│ +sudo openclaw fix-ssh +│/);
    expect(text).toMatch(/0\/1 passed · 1 failed — exit 3/);
  });

  it('no box when sshd is only on the tailnet', async () => {
    const r = await runDoctor({
      ...freshEnv(),
      only: ['ports.public'],
      ssOutput: { text: 'LISTEN 0 128 100.101.102.103:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))', source: 'x' },
    });
    expect(r).toMatchObject({ ok: true, exit_code: 0, sshd_public: false });
    expect(renderReport(r, plain)).not.toMatch(/fix-ssh/);
  });

  it('the full report fits one screen', async () => {
    const r = await runDoctor({ ...freshEnv(), ssOutput: fixture('mixed-host.ss-tlnp.txt') });
    const lines = renderReport(r, plain, 120).split('\n');
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
  });

  it('a capture that is not one is a clear error, before any check runs', async () => {
    await expect(runDoctor({ ...freshEnv(), ssOutput: { text: 'hello\n', source: 'notes.txt' } })).rejects.toMatchObject({
      code: 'capture_unreadable',
      reason: expect.stringMatching(/^notes\.txt: line 1: not a listener capture/),
      hint: expect.stringMatching(/ss -tlnp/),
    });
  });
});
