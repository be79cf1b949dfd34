/**
 * `exec run` asks a human through the approvals endpoint, as a user sees it: the built binary,
 * `approvals serve` running, a command that misses the allowlist waits, `approvals approve|deny`
 * answers it; without an endpoint askFallback decides.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, freshHome, openclaw } from './run-cli.js';

const GATEWAY = 'version: 1\ntools:\n  exec:\n    host: gateway\n    security: allowlist\n    ask: on-miss\n';

interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}
const procs: Proc[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await p.exit;
  }
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function start(home: string, args: string[]): Proc {
  const child = spawn(BIN, args, {
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, OPENCLAW_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { child, stdout: '', stderr: '', exit: new Promise((r) => child.once('close', (code) => r(code))) };
  child.stdout?.on('data', (d) => (p.stdout += d));
  child.stderr?.on('data', (d) => (p.stderr += d));
  procs.push(p);
  return p;
}

async function until<T>(what: string, probe: () => T | undefined | false | null, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function home(config = GATEWAY): string {
  const h = freshHome();
  homes.push(h);
  writeFileSync(join(h, 'openclaw.yaml'), config);
  return h;
}

const ledgerTypes = (h: string) =>
  openclaw(['exec', 'ledger', 'export'], { home: h })
    .stdout.trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });

async function pendingRun(h: string, serveArgs: string[] = []) {
  const server = start(h, ['approvals', 'serve', ...serveArgs]);
  await until('the endpoint', () => server.stderr.includes('serving on'));
  const run = start(h, ['exec', 'run', '--', '/bin/echo', 'approved-output']);
  const token = await until('the pending request', () => /approvals approve (\S+)/.exec(run.stderr)?.[1]);
  return { run, token };
}

describe('exec run asks a human through the approvals endpoint', () => {
  it('waits for the human; `approvals approve ID` lets it run once, recorded in the ledger', async () => {
    const h = home();
    const { run, token } = await pendingRun(h);
    // Still waiting: nothing ran yet.
    expect(run.child.exitCode).toBeNull();
    expect(run.stdout).toBe('');
    const ok = openclaw(['approvals', 'approve', token], { home: h });
    expect(ok.code, ok.stderr).toBe(0);
    expect(await run.exit).toBe(0);
    expect(run.stdout).toBe('approved-output\n');
    const events = ledgerTypes(h);
    expect(events.map((e) => e.type)).toEqual(['approval.requested', 'approval.pending', 'approval.granted', 'exec.started', 'exec.finished']);
    expect(events[1]?.data.token).toBe(token);
    expect(events[2]?.data).toMatchObject({ token, via: 'endpoint' });
  });

  it('a request nobody answers expires: exit 77, each reason said once', async () => {
    const h = home();
    const { run } = await pendingRun(h, ['--pending-ttl', '1']);
    expect(await run.exit).toBe(77);
    expect(run.stdout).toBe('');
    const line = run.stderr.split('\n').find((l) => l.includes('denied:')) ?? '';
    expect(line).toMatch(/expired before it was answered/);
    // the endpoint's answer repeats the policy's reasons; the user reads each once
    expect(line.match(/matches no allowlist pattern/g)?.length ?? 0, line).toBe(1);
  });

  it('`approvals deny ID` denies it: exit 77, nothing runs', async () => {
    const h = home();
    const { run, token } = await pendingRun(h);
    expect(openclaw(['approvals', 'deny', token], { home: h }).code).toBe(0);
    expect(await run.exit).toBe(77);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/denied:/);
    expect(ledgerTypes(h).map((e) => e.type)).toEqual(['approval.requested', 'approval.pending', 'approval.denied', 'exec.denied']);
  });

  it.each([
    ['deny (the default)', '', 77, ''],
    ['full', '    askFallback: full\n', 0, 'fallback-output\n'],
  ])('with no endpoint running, askFallback %s decides without waiting', (_name, extra, code, stdout) => {
    const h = home(GATEWAY + extra);
    const r = openclaw(['exec', 'run', '--', '/bin/echo', 'fallback-output'], { home: h });
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toBe(stdout);
    expect(r.stderr).not.toMatch(/waiting for a human/);
    expect(ledgerTypes(h).some((e) => e.type.startsWith('approval.'))).toBe(false);
  });
});

describe('exec run prints the output as the command writes it', () => {
  it('the first line arrives while the command still runs; --json waits for the evidence', async () => {
    const h = home('version: 1\ntools:\n  exec:\n    host: gateway\n    security: full\n');
    const script = 'echo early; sleep 2; echo late';
    const run = start(h, ['exec', 'run', '--', '/bin/sh', '-c', script]);
    await until('the first line', () => run.stdout === 'early\n');
    expect(run.child.exitCode).toBeNull();
    expect(await run.exit).toBe(0);
    expect(run.stdout).toBe('early\nlate\n');
    const json = openclaw(['exec', 'run', '--json', '--', '/bin/sh', '-c', 'echo one'], { home: h });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).evidence[0].stdout).toBe('one\n');
  });

  it('output over the cap is neither printed nor kept, and the user is told', () => {
    const h = home('version: 1\ntools:\n  exec:\n    host: gateway\n    security: full\n    maxOutputChars: 1000\n');
    const r = openclaw(['exec', 'run', '--', '/bin/sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a'], { home: h });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('a'.repeat(1000));
    expect(r.stderr).toMatch(/output over the output cap was neither printed nor kept/);
  });
});
