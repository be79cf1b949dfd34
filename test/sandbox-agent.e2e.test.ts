/**
 * Issue 5 as a user meets it, through the built binary: `sandbox attest`, `secrets get|set`, an
 * agent_task run by `exec worker` against a fake OpenAI-compatible server, and `exec health`'s
 * real model probe.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeModel, fakeModel } from '../packages/exec/test/support/fake-model.js';
import { BIN, freshHome, openclaw } from './run-cli.js';

const homes: string[] = [];
const servers: FakeModel[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  for (const s of servers.splice(0)) await s.close();
});
const home = () => {
  const h = freshHome();
  homes.push(h);
  return h;
};

/** Runs openclaw without blocking this process's event loop (the fake model lives in it). */
function run(h: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child: ChildProcess = spawn(BIN, args, {
    cwd: h,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: h, OPENCLAW_HOME: h, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdin?.end(input ?? '');
  return new Promise((r) => child.once('close', (code) => r({ code, stdout, stderr })));
}

describe('openclaw sandbox attest', () => {
  it('prints an honest bundle with every probe PASS on this machine (bwrap), exit 0', () => {
    const h = home();
    const out = join(h, 'bundle');
    const r = openclaw(['sandbox', 'attest', '--json', '--out', out], { home: h });
    expect(r.code, r.stderr).toBe(0);
    const b = r.json();
    expect(b).toMatchObject({ overall: 'PASS', backend: 'bwrap', counts: { FAIL: 0, NOT_RUN: 0 } });
    expect(b.probes.length).toBeGreaterThanOrEqual(12);
    for (const f of ['attestation.json', 'raw/mountinfo.txt', 'raw/env_keyset.json', 'raw/proc_net_dev.txt', 'probes/host_loopback_canary.json'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const human = openclaw(['sandbox', 'attest', '--out', join(h, 'b2')], { home: h });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^PASS +host_loopback_canary +connect ECONNREFUSED 127\.0\.0\.1:\d+/m);
    expect(human.stdout).toMatch(/overall PASS pass=\d+ fail=0 not_run=0$/m);
  });

  it('--backend docker with no engine: every probe NOT_RUN, exit 3, and the reason', () => {
    const h = home();
    const r = openclaw(['sandbox', 'attest', '--backend', 'docker', '--json', '--out', join(h, 'b')], {
      home: h,
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(r.code).toBe(3);
    expect(r.json()).toMatchObject({ overall: 'NOT_RUN', counts: { PASS: 0, FAIL: 0 }, error: expect.stringMatching(/docker/) });
  });
});

describe('openclaw secrets', () => {
  const KEY = 'sk-e2e-secret-value-123';
  it('set reads stdin and writes 0600; get hides the value unless --reveal', async () => {
    const h = home();
    const set = await run(h, ['secrets', 'set', 'openai'], `${KEY}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(KEY);
    expect(readFileSync(join(h, 'secrets/openai'), 'utf8')).toBe(KEY);
    const get = openclaw(['secrets', 'get', 'openai'], { home: h });
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/openai: set \(from file: .*secrets\/openai\); the value is hidden/);
    expect(get.stdout + get.stderr).not.toContain(KEY);
    const json = openclaw(['secrets', 'get', 'openai', '--json'], { home: h });
    expect(json.json()).toEqual({ name: 'openai', found: true, source: 'file', detail: join(h, 'secrets/openai') });
    expect(openclaw(['secrets', 'get', 'openai', '--reveal'], { home: h }).stdout).toBe(`${KEY}\n`);
    expect(openclaw(['secrets', 'get', 'openai', '--reveal'], { home: h, env: { OPENAI_API_KEY: 'from-env' } }).stdout).toBe('from-env\n');
  });

  it('on a terminal (a pty from script(1)), set prompts and does not echo what is typed', async () => {
    const h = home();
    const child = spawn('script', ['-qec', `${BIN} secrets set typed`, '/dev/null'], {
      cwd: h,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: h, OPENCLAW_HOME: h, NO_COLOR: '1', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout?.on('data', (d) => {
      screen += d;
      // Type only once the prompt (and so raw mode) is up.
      if (screen.includes('(not echoed): ') && !child.stdin?.writableEnded) child.stdin?.end('typed-secret-77\r');
    });
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(0);
    expect(screen).toMatch(/stored in .*secrets\/typed/);
    expect(screen).not.toContain('typed-secret-77');
    expect(readFileSync(join(h, 'secrets/typed'), 'utf8')).toBe('typed-secret-77');
  });

  it('refuses a file others can read, and says how to fix it; a missing secret says how to set it', () => {
    const h = home();
    mkdirSync(join(h, 'secrets'), { mode: 0o700 });
    writeFileSync(join(h, 'secrets/openai'), KEY);
    chmodSync(join(h, 'secrets/openai'), 0o644);
    const r = openclaw(['secrets', 'get', 'openai'], { home: h });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mode is 0644/);
    expect(r.stderr).toMatch(/hint: chmod 600 /);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const none = openclaw(['secrets', 'get', 'anthropic'], { home: h });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/hint: openclaw secrets set anthropic/);
  });
});

describe('agent_task through the CLI, and exec health, against a fake model', () => {
  it('the worker runs the agent loop; the ledger shows the model steps and tool calls', async () => {
    const h = home();
    const model = await fakeModel((n) =>
      n === 0
        ? {
            tools: [
              { name: 'read_file', args: { path: 'hello.txt' } },
              { name: 'read_file', args: { path: '/etc/passwd' } },
            ],
          }
        : { content: 'hello read' },
    );
    servers.push(model);
    const ws = join(h, 'ws');
    mkdirSync(ws);
    writeFileSync(join(ws, 'hello.txt'), 'hello from the workspace\n');
    writeFileSync(join(h, 'openclaw.yaml'), `version: 1\nexec:\n  model:\n    apiBase: ${model.base}\n  agent:\n    workspace: ${ws}\n`);
    await run(h, ['secrets', 'set', 'openai'], 'sk-agent-e2e');
    const health = await run(h, ['exec', 'health', '--json']);
    expect(JSON.parse(health.stdout)).toMatchObject({
      model_api_base: model.base,
      model_stub_mode: false,
      model_reachable: true,
      model_detail: 'http 200 models=fake-model',
    });
    expect((await run(h, ['exec', 'enqueue', 'agent_task', '--param', 'prompt=read hello.txt'])).code).toBe(0);
    const w = await run(h, ['exec', 'worker', '--once', '--json']);
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout).jobs[0]).toMatchObject({ type: 'agent_task', state: 'completed' });
    const events = (await run(h, ['exec', 'ledger', 'export'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'agent.tool_call').map((e) => [e.data.tool, e.data.status, e.data.code ?? null])).toEqual([
      ['read_file', 'ok', null],
      ['read_file', 'refused', expect.any(String)],
    ]);
    expect(events.filter((e) => e.type === 'agent.model')).toHaveLength(2);
    expect(model.requests.filter((r) => r.path.endsWith('/chat/completions')).every((r) => r.headers.authorization === 'Bearer sk-agent-e2e')).toBe(true);
    expect((await run(h, ['exec', 'ledger', 'verify'])).code).toBe(0);
  });
});
