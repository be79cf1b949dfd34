/** `exec run` through its API: decisions, asks, the ledger, real processes on the host and in bwrap. */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApprovalsSnapshot, compilePolicy, DEFAULT_POLICY_PATH, detectSandbox, type OpenclawConfig } from '@openclaw/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { verifyRecords } from '../src/ledger/verify.js';
import type { HumanApprover } from '../src/run/approver.js';
import { unreachableApprover } from '../src/run/approver.js';
import { governedRun, type RunRequest } from '../src/run/governed-run.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ExecStore } from '../src/store/types.js';

const stores: ExecStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const noApprovals: ApprovalsSnapshot = { status: 'missing', path: '/nonexistent/exec-approvals.json' };
const allowlist = (...patterns: string[]): ApprovalsSnapshot => ({
  status: 'ok',
  path: '/test/exec-approvals.json',
  file: { version: 1, agents: { '*': { allowlist: patterns.map((pattern) => ({ pattern })) } } },
});

async function setup(
  opts: { config?: OpenclawConfig; approvals?: ApprovalsSnapshot; approver?: HumanApprover; backend?: 'bwrap' | 'docker'; image?: string; bwrap?: string } = {},
) {
  const home = testdir({ 'openclaw/secret.txt': 'do not read', 'work/file.txt': 'hello\n' });
  const store = await SqliteStore.open(join(home, 'openclaw/state/exec.db'));
  stores.push(store);
  const policy = compilePolicy({
    config: opts.config ?? { tools: { exec: { host: 'gateway', security: 'full' } } },
    approvals: opts.approvals ?? noApprovals,
    sandbox: opts.bwrap
      ? { backend: 'bwrap', available: true, reason: 'test', binary: opts.bwrap }
      : detectSandbox(opts.backend ?? 'bwrap', DEFAULT_POLICY_PATH),
    home,
  });
  const run = (req: Partial<RunRequest>) =>
    governedRun(
      { cwd: join(home, 'work'), agentId: null, ...req },
      {
        policy,
        store,
        actor: { workerId: 'cli', host: 'test-host' },
        approver: opts.approver ?? unreachableApprover,
        openclawHome: join(home, 'openclaw'),
        sandboxImage: opts.image,
        env: { HOME: home },
      },
    );
  const events = async () => {
    const out: { type: string; data: Record<string, unknown> }[] = [];
    for await (const page of store.ledgerPages()) for (const r of page) out.push(JSON.parse(r.body));
    return out;
  };
  return { home, store, run, events };
}

describe('exec run: decisions and the ledger', () => {
  it('security full on the gateway runs the command and records started/finished with the evidence', async () => {
    const { run, events, store } = await setup();
    const out = await run({ argv: ['cat', 'file.txt'] });
    expect(out).toMatchObject({ decision: 'allow', exitCode: 0, launcher: 'host', timedOut: false });
    expect(out.evidence[0]).toMatchObject({ argv: ['cat', 'file.txt'], file: '/usr/bin/cat', stdout: 'hello\n', returncode: 0 });
    const ev = await events();
    expect(ev.map((e) => e.type)).toEqual(['exec.started', 'exec.finished']);
    expect(ev[1]?.data).toMatchObject({ exit_code: 0, evidence: [{ stdout: 'hello\n', stdout_bytes: 6 }] });
    expect(out.ledger).toEqual([1, 2]);
    expect((await verifyRecords(store.ledgerPages())).ok).toBe(true);
  });

  it('security full runs an argv the analysis cannot split as the argv it is (sh -c with an expansion)', async () => {
    const { run } = await setup();
    const out = await run({ argv: ['sh', '-c', 'echo "$0" $# $PPID', 'zero'] });
    expect(out).toMatchObject({ decision: 'allow', exitCode: 0 });
    expect(out.evidence[0]).toMatchObject({
      argv: ['sh', '-c', 'echo "$0" $# $PPID', 'zero'],
      file: realpathSync('/bin/sh'),
      stdout: expect.stringMatching(/^zero 0 \d+\n$/),
    });
    // an executable the policy PATH cannot resolve does not run: 127, no PATH lookup by anyone else
    const missing = await run({ argv: ['no-such-tool-anywhere', '-x'] });
    expect(missing.exitCode).toBe(127);
  });

  it('the default policy (security deny on the gateway) denies with 77 and records exec.denied', async () => {
    const { run, events } = await setup({ config: {} });
    const out = await run({ argv: ['ls'], host: 'gateway' });
    expect(out.exitCode).toBe(77);
    expect(out.reasons[0]?.code).toBe('security_deny');
    const ev = await events();
    expect(ev.map((e) => e.type)).toEqual(['exec.denied']);
    expect(ev[0]?.data).toMatchObject({ command: 'ls', reasons: [{ code: 'security_deny' }] });
  });

  it('an allowlisted command runs; a miss with no reachable human falls back to deny', async () => {
    const { run } = await setup({ config: { tools: { exec: { host: 'gateway', security: 'allowlist' } } }, approvals: allowlist('/usr/bin/echo') });
    expect((await run({ argv: ['echo', 'ok'] })).evidence[0]?.stdout).toBe('ok\n');
    const miss = await run({ argv: ['cat', 'file.txt'] });
    expect(miss.exitCode).toBe(77);
    expect(miss.reasons.map((r) => r.code)).toContain('ask_fallback_deny');
    expect(miss.asked).toBe(false);
  });

  it('with a reachable in-process approver (the endpoint client is wired later): allow runs, deny does not, both recorded', async () => {
    const asked: string[] = [];
    const approver = (decision: 'allow' | 'deny'): HumanApprover => ({
      reachable: async () => true,
      ask: async (req) => {
        asked.push(req.command);
        return { decision, reasons: [{ code: `human_${decision}`, message: `a human said ${decision}` }] };
      },
    });
    const config: OpenclawConfig = { tools: { exec: { host: 'gateway', security: 'allowlist' } } };
    const yes = await setup({ config, approver: approver('allow') });
    const ran = await yes.run({ argv: ['cat', 'file.txt'] });
    expect(ran).toMatchObject({ decision: 'allow', exitCode: 0, asked: true });
    expect((await yes.events()).map((e) => e.type)).toEqual(['approval.requested', 'approval.granted', 'exec.started', 'exec.finished']);
    const no = await setup({ config, approver: approver('deny') });
    const refused = await no.run({ argv: ['cat', 'file.txt'] });
    expect(refused.exitCode).toBe(77);
    expect((await no.events()).map((e) => e.type)).toEqual(['approval.requested', 'approval.denied', 'exec.denied']);
    expect(asked).toEqual(['cat file.txt', 'cat file.txt']);
  });

  it('runs an analysed shell string itself: pipes, && and ||', async () => {
    const { run } = await setup();
    const out = await run({ command: "printf 'a\\nb\\n' | wc -l && false || echo recovered" });
    expect(out.evidence.map((e) => e.argv[0])).toEqual(['printf', 'wc', 'false', 'echo']);
    expect(out.evidence[1]?.stdout.trim()).toBe('2');
    expect(out.evidence[3]?.stdout).toBe('recovered\n');
    expect(out.exitCode).toBe(0);
  });

  it('a kept wrapper gets the wrapped command by its decided path', async () => {
    const { run } = await setup();
    const out = await run({ command: 'timeout 5 echo wrapped' });
    expect(out.evidence[0]).toMatchObject({ file: '/usr/bin/timeout', argv: ['timeout', '5', '/usr/bin/echo', 'wrapped'], stdout: 'wrapped\n' });
  });

  it('the child’s env is the minimal one: a secret in the parent env never reaches it', async () => {
    process.env.OPENCLAW_TEST_SECRET = 'sk-parent-secret';
    process.env.AWS_SECRET_ACCESS_KEY = 'aws-parent-secret';
    try {
      const { run } = await setup();
      const out = await run({ argv: ['env'], env: { EXTRA: 'asked-for' } });
      const keys = out.evidence[0]?.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0])
        .sort();
      expect(keys).toEqual(['EXTRA', 'HOME', 'LANG', 'PATH', 'TERM'].filter((k) => k !== 'TERM' || out.evidence[0]?.stdout.includes('TERM=')));
      expect(out.evidence[0]?.stdout).not.toMatch(/parent-secret/);
    } finally {
      delete process.env.OPENCLAW_TEST_SECRET;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('a refused env key denies', async () => {
    const { run } = await setup();
    const out = await run({ argv: ['true'], env: { LD_PRELOAD: '/tmp/x.so' } });
    expect(out.exitCode).toBe(77);
    expect(out.reasons[0]?.code).toBe('env_refused');
  });

  it('the timeout can be lowered per run: 124 and timed_out', async () => {
    const { run, events } = await setup();
    const out = await run({ argv: ['sleep', '5'], timeoutSec: 0.3 });
    expect(out).toMatchObject({ exitCode: 124, timedOut: true });
    expect((await events())[1]?.data).toMatchObject({ exit_code: 124, timed_out: true });
  });

  it('the child’s exit code is the run’s', async () => {
    const { run } = await setup();
    expect((await run({ argv: ['ls', '/nonexistent-dir'] })).exitCode).toBe(2);
    // `sh -c` is unwrapped and its script run by the runner: a shell builtin is not a program.
    expect((await run({ command: 'sh -c "exit 9"' })).exitCode).toBe(127);
  });

  it('the kill switch denies every run', async () => {
    const { run, store } = await setup();
    await store.setKillSwitch(true, { workerId: 'cli', host: 'h' }, 'incident');
    const out = await run({ argv: ['true'] });
    expect(out.exitCode).toBe(77);
    expect(out.reasons[0]).toMatchObject({ code: 'kill_switch_on', hint: 'openclaw exec kill-switch off' });
  });

  it('a missing cwd denies', async () => {
    const { run } = await setup();
    expect((await run({ argv: ['true'], cwd: '/nonexistent/dir' })).reasons[0]?.code).toBe('cwd_invalid');
  });

  it('host node is denied: there is no node transport', async () => {
    const { run } = await setup();
    expect((await run({ argv: ['true'], host: 'node' })).reasons.at(-1)?.code).toBe('node_host_unsupported');
  });

  it.each([
    ['no image configured', undefined, 'sandbox_image_missing', /needs an image/],
    ['an image, but no engine answers (a path that is not a Docker socket)', 'debian:12-slim', 'sandbox_unavailable', /no Docker engine answered/],
  ])('host sandbox with the docker backend and %s is denied rather than run unsandboxed', async (_name, image, code, message) => {
    process.env.DOCKER_HOST = 'unix:///dev/null';
    try {
      const { run } = await setup({ config: {}, backend: 'docker', ...(image ? { image } : {}) });
      const out = await run({ argv: ['true'] });
      expect(out.exitCode).toBe(77);
      expect(out.launcher).toBeNull();
      expect(out.reasons.at(-1)).toMatchObject({ code, message: expect.stringMatching(message), hint: expect.any(String) });
    } finally {
      delete process.env.DOCKER_HOST;
    }
  });
});

describe('exec run: an unusable sandbox is a deny with the fix', () => {
  it.each([
    [
      'user namespaces disabled',
      'bwrap: No permissions to creat new namespace, likely because the kernel does not allow non-privileged user namespaces',
      /enable user namespaces: sudo sysctl/,
    ],
    ['any other start failure', "bwrap: Can't mount proc on /newroot/proc: Device or resource busy", /sandbox attest/],
  ])('bwrap failing at start (%s): deny, nothing runs', async (_name, stderr, hint) => {
    const fake = testdir({ bwrap: { content: `#!/bin/sh\necho "${stderr}" >&2\nexit 1\n`, mode: 0o755 } });
    const { run, events, home } = await setup({ config: {}, bwrap: join(fake, 'bwrap') });
    const out = await run({ command: 'touch should-not-exist' });
    expect(out).toMatchObject({ decision: 'deny', exitCode: 77, launcher: null });
    expect(out.reasons.at(-1)).toMatchObject({ code: 'sandbox_unavailable', message: expect.stringContaining(stderr), hint: expect.stringMatching(hint) });
    expect((await events()).map((e) => e.type)).toEqual(['exec.denied']);
    expect((await import('node:fs')).existsSync(join(home, 'work/should-not-exist'))).toBe(false);
  });
});

describe('exec run: host sandbox (real bwrap)', () => {
  const sandboxed = async (command: string) => {
    const ctx = await setup({ config: {} });
    const out = await ctx.run({ command });
    return { ...ctx, out };
  };

  it('runs inside bwrap: the workspace is writable, the root is not', async () => {
    const { out, home } = await sandboxed('touch made-inside && touch /etc/openclaw-sandbox-probe');
    expect(out.launcher).toBe('bwrap');
    expect(out.evidence[0]?.returncode).toBe(0);
    expect(out.evidence[1]?.returncode).not.toBe(0);
    expect(out.evidence[1]?.stderr).toMatch(/Read-only file system/);
    expect((await import('node:fs')).existsSync(join(home, 'work/made-inside'))).toBe(true);
  });

  it('has no network: only the loopback interface exists', async () => {
    const { out } = await sandboxed('cat /proc/net/dev');
    const ifaces = (out.evidence[0]?.stdout ?? '')
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => l.trim().split(':')[0]);
    expect(ifaces).toEqual(['lo']);
  });

  it('has its own pid namespace and a private /tmp holding only the workspace mount', async () => {
    const { out, home } = await sandboxed('readlink /proc/self ; ls -A /tmp');
    expect(Number(out.evidence[0]?.stdout.trim())).toBeLessThan(10);
    // The test's workspace lives under /tmp, so its top directory is the one entry.
    expect(out.evidence[1]).toMatchObject({ returncode: 0, stdout: `${home.split('/')[2]}\n` });
  });

  it('the secret under $OPENCLAW_HOME is not visible inside', async () => {
    const ctx = await setup({ config: {} });
    mkdirSync(join(ctx.home, 'work/sub'), { recursive: true });
    writeFileSync(join(ctx.home, 'work/sub/x'), 'x');
    const out = await ctx.run({ argv: ['ls', '-A', join(ctx.home, 'openclaw')] });
    expect(out.evidence[0]?.returncode).toBe(0);
    expect(out.evidence[0]?.stdout).toBe('');
  });
});
