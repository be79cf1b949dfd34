/** The approvals commands as a user runs them: the built binary, real processes, a real endpoint. */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, freshHome, openclaw, ROOT } from './run-cli.js';

const FIXTURES = join(ROOT, 'packages/approvals/test/fixtures/openclaw');
const GATEWAY = 'version: 1\ntools:\n  exec:\n    host: gateway\n    security: allowlist\n    ask: on-miss\n';

interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await p.exit;
  }
});

/** Starts `openclaw ARGS` in the background in `home`. */
function start(home: string, args: string[], opts: { env?: Record<string, string> } = {}): Proc {
  const child = spawn(BIN, args, {
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, OPENCLAW_HOME: home, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { child, stdout: '', stderr: '', exit: new Promise((r) => child.once('close', (code) => r(code))) };
  child.stdout?.on('data', (d) => (p.stdout += d));
  child.stderr?.on('data', (d) => (p.stderr += d));
  procs.push(p);
  return p;
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A home with a gateway/allowlist config and a running endpoint. */
async function served(extra: string[] = []) {
  const home = freshHome();
  writeFileSync(join(home, 'openclaw.yaml'), GATEWAY);
  const server = start(home, ['approvals', 'serve', ...extra]);
  await until('the endpoint', () => server.stderr.includes('serving on'));
  return { home, server };
}

/** Runs a command in the background; the test event loop stays free (openclaw() would block it). */
function runAsync(home: string, args: string[]) {
  const p = start(home, args);
  return p.exit.then((code) => ({ code, stdout: p.stdout, stderr: p.stderr }));
}

describe('approvals file commands', () => {
  it('20 concurrent `allowlist add` processes lose nothing', async () => {
    const home = freshHome();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => runAsync(home, ['approvals', 'allowlist', 'add', `/opt/tool${i}/bin/run`, '--agent', i % 2 ? 'main' : 'ops'])),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const got = openclaw(['approvals', 'get', '--json'], { home });
    expect(got.code).toBe(0);
    const patterns = [...got.json().agents.main.allowlist, ...got.json().agents.ops.allowlist].map((e: { pattern: string }) => e.pattern).sort();
    expect(patterns).toEqual(Array.from({ length: 20 }, (_, i) => `/opt/tool${i}/bin/run`).sort());
    expect(statSync(join(home, 'exec-approvals.json')).mode & 0o777).toBe(0o600);
  });

  it('warns on stderr about symlinks and interpreters, suggesting the canonical path', () => {
    const home = freshHome();
    const r = openclaw(['approvals', 'allowlist', 'add', '/usr/bin/python3', '--agent', 'main', '--json'], { home });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: \/usr\/bin\/python3 is a symlink to (\/usr\/bin\/python3\.\d+)/);
    expect(r.stderr).toMatch(/use: openclaw approvals allowlist add \/usr\/bin\/python3\.\d+ --agent main/);
    expect(r.stderr).toMatch(/is an interpreter/);
    expect(r.json()).toMatchObject({ added: true, agent: 'main', warnings: [{ code: 'symlink' }, { code: 'interpreter' }] });
    expect(openclaw(['approvals', 'allowlist', 'add', '/usr/bin/bash'], { home }).stderr).toMatch(/is a shell/);
  });

  it('the OpenClaw fixtures round-trip through set and get, and the token is never printed', () => {
    const home = freshHome();
    const set = openclaw(['approvals', 'set', '--file', join(FIXTURES, 'exec-approvals.as-written.json'), '--json'], { home });
    expect(set.code, set.stderr).toBe(0);
    expect(set.json()).toMatchObject({ written: true, idsAdded: 3, socketTokenKept: false });
    const got = openclaw(['approvals', 'get', '--json'], { home });
    const noIds = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'id' ? undefined : v)));
    expect(noIds(got.json())).toEqual(noIds(JSON.parse(readFileSync(join(FIXTURES, 'exec-approvals.as-read-back.json'), 'utf8'))));
    expect(got.stdout).not.toContain('c2VjcmV0');
    expect(openclaw(['approvals', 'get'], { home }).stdout).toMatch(/token set \(hidden\)/);
    expect(openclaw(['approvals', 'get'], { home }).stdout).not.toContain('c2VjcmV0');
    // get's output fed back keeps everything, including the token on disk
    const again = openclaw(['approvals', 'set', '--stdin'], { home, input: got.stdout });
    expect(again.code, again.stderr).toBe(0);
    expect(openclaw(['approvals', 'get', '--json'], { home }).json()).toEqual(got.json());
    expect(JSON.parse(readFileSync(join(home, 'exec-approvals.json'), 'utf8')).socket.token).toBe('c2VjcmV0LXRva2VuLWZvci10ZXN0cy1vbmx5');
    // the read-back form sets and gets back identical
    const home2 = freshHome();
    expect(openclaw(['approvals', 'set', '--file', join(FIXTURES, 'exec-approvals.as-read-back.json')], { home: home2 }).code).toBe(0);
    expect(openclaw(['approvals', 'get', '--json'], { home: home2 }).json()).toEqual(
      JSON.parse(readFileSync(join(FIXTURES, 'exec-approvals.as-read-back.json'), 'utf8')),
    );
  });

  it('a corrupt file: decisions deny, writers refuse, serve refuses, and the file is untouched', () => {
    const home = freshHome();
    const file = join(home, 'exec-approvals.json');
    writeFileSync(file, '{"version": 1, "agents": {');
    chmodSync(file, 0o600);
    const before = readFileSync(file);
    writeFileSync(join(home, 'openclaw.yaml'), GATEWAY.replace('allowlist', 'full'));
    const check = openclaw(['policy', 'check', '--json', '--', 'ls'], { home });
    expect(check.code).toBe(77);
    expect(check.json().reasons[0].code).toBe('approvals_file_invalid');
    const add = openclaw(['approvals', 'allowlist', 'add', '/usr/bin/ls'], { home });
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(/^error: approvals file .*not valid JSON.*\nhint: .*approvals set --file/);
    expect(openclaw(['approvals', 'serve'], { home }).code).toBe(1);
    expect(openclaw(['approvals', 'get'], { home }).code).toBe(1);
    expect(readFileSync(file)).toEqual(before);
    expect(existsSync(join(home, 'exec-approvals.sock'))).toBe(false);
  });

  it('set refuses invalid content and writes nothing', () => {
    const home = freshHome();
    openclaw(['approvals', 'allowlist', 'add', '/usr/bin/ls'], { home });
    const before = readFileSync(join(home, 'exec-approvals.json'));
    const r = openclaw(['approvals', 'set', '--stdin'], { home, input: '{"version": 1, "defaults": {"ask": "sometimes"}}' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the new approvals content: defaults\.ask/);
    expect(readFileSync(join(home, 'exec-approvals.json'))).toEqual(before);
  });
});

describe('asking a human through the endpoint', () => {
  it('request waits; approve ID answers it (exit 0); the approval is used once', async () => {
    const { home, server } = await served();
    const asking = runAsync(home, ['approvals', 'request', '--', 'rm', '-rf', '/tmp/x']);
    const id = await until('the pending request', () => {
      const p = openclaw(['approvals', 'pending', '--json'], { home });
      return p.code === 0 && p.json().tokens[0]?.id;
    });
    const approved = openclaw(['approvals', 'approve', id], { home });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`approved ${id} \\(once\\): rm -rf /tmp/x`));
    const r = await asking;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/waiting for a human to approve/);
    expect(r.stdout).toMatch(/^ALLOW\n .*approved by a human/);
    expect(server.stderr).toMatch(new RegExp(`pending +${id}.*rm -rf /tmp/x[\\s\\S]*approved +${id}[\\s\\S]*used +${id}`));
    // a second approve of the same token is an error
    const twice = openclaw(['approvals', 'approve', id], { home });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/error: token .* is consumed, not pending/);
  });

  it('deny ID → exit 77 with the reason; nobody answering → 124; --no-wait → 4 with the token', async () => {
    const { home } = await served();
    const asking = runAsync(home, ['approvals', 'request', '--json', '--', 'rm', '-rf', '/tmp/y']);
    const id = await until('the pending request', () => openclaw(['approvals', 'pending', '--json'], { home }).json().tokens[0]?.id);
    expect(openclaw(['approvals', 'deny', id, '--reason', 'not today'], { home }).code).toBe(0);
    const denied = await asking;
    expect(denied.code).toBe(77);
    const answer = JSON.parse(denied.stdout);
    expect(answer.decision).toBe('deny');
    expect(answer.reasons[0]).toMatchObject({ code: 'token_denied', message: expect.stringMatching(/not today/) });
    const timeout = await runAsync(home, ['approvals', 'request', '--timeout', '1', '--', 'rm', '-rf', '/tmp/z']);
    expect(timeout.code).toBe(124);
    expect(timeout.stdout).toMatch(/^TIMEOUT/);
    const nowait = openclaw(['approvals', 'request', '--no-wait', '--json', '--', 'rm', '-rf', '/tmp/w'], { home });
    expect(nowait.code).toBe(4);
    expect(nowait.json()).toMatchObject({ decision: 'pending_hitl', token: expect.any(String) });
    // what the policy allows or denies is answered at once
    expect(openclaw(['approvals', 'allowlist', 'add', '/usr/bin/ls'], { home }).code).toBe(0);
    expect(openclaw(['approvals', 'request', '--', 'ls', '-la'], { home }).code).toBe(0);
    expect(openclaw(['approvals', 'request', '--', 'sudo', 'ls'], { home }).code).toBe(77);
  });

  it('without an endpoint, request is a clear error (exit 1)', () => {
    const home = freshHome();
    const r = openclaw(['approvals', 'request', '--', 'ls'], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no socket token in .*\nhint: start it with `openclaw approvals serve`/);
  });

  it('approve/deny/revoke of something that is not a token id: a usage error (exit 2) before any connection', () => {
    const home = freshHome(); // no endpoint: a usage error must not depend on one
    for (const [verb, id] of [
      ['approve', ''],
      ['deny', 'x'.repeat(200)],
      ['revoke', 'a b'],
    ] as const) {
      const r = openclaw(['approvals', verb, id], { home });
      expect(r.code, `${verb} ${id}`).toBe(2);
      expect(r.stderr).toMatch(/^error: not a token id: .*\nhint: list what is waiting with `openclaw approvals pending`/);
    }
  });

  it('watch without a terminal streams pending requests as JSON lines', async () => {
    const { home } = await served();
    const watch = start(home, ['approvals', 'watch', '--json']);
    await until('watch to start', () => watch.stderr.includes('not a terminal'));
    openclaw(['approvals', 'request', '--no-wait', '--', 'rm', '-rf', '/tmp/s'], { home });
    const line = await until('the streamed request', () => watch.stdout.split('\n').find((l) => l.startsWith('{')));
    expect(JSON.parse(line)).toMatchObject({ state: 'pending', request: { command: 'rm -rf /tmp/s' } });
    watch.child.kill('SIGTERM');
    expect(await watch.exit).toBe(0);
  });

  it('watch on a terminal: a key press allows always, and the agent’s allowlist gets the canonical path', async () => {
    const { home } = await served();
    // `script` gives watch a pseudo-terminal; its stdin is the key presses.
    const watch = spawn('script', ['-qfec', `${BIN} approvals watch`, '/dev/null'], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', HOME: home, OPENCLAW_HOME: home, NO_COLOR: '1', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    watch.stdout.on('data', (d) => (screen += d));
    const exited = new Promise((r) => watch.once('close', r));
    try {
      await until('watch to wait', () => screen.includes('waiting for requests'));
      const asking = runAsync(home, ['approvals', 'request', '--agent', 'main', '--', 'rm', '-rf', '/tmp/t']);
      await until('the prompt', () => screen.includes('[o] allow once'));
      expect(screen).toMatch(/command +rm -rf \/tmp\/t/);
      expect(screen).toMatch(/runs +\/usr\/bin\/rm/);
      watch.stdin.write('a');
      const r = await asking;
      expect(r.code, r.stderr).toBe(0);
      await until('the confirmation', () => screen.includes('allowlisted for agent main: /usr/bin/rm'));
      watch.stdin.write('q');
      await exited;
    } finally {
      watch.kill('SIGTERM');
    }
    const file = openclaw(['approvals', 'get', '--json'], { home }).json();
    expect(file.agents.main.allowlist).toEqual([expect.objectContaining({ pattern: '/usr/bin/rm', source: 'allow-always' })]);
    // and the next rm for main is allowed without asking
    expect(openclaw(['approvals', 'request', '--agent', 'main', '--', 'rm', '-f', '/tmp/t2'], { home }).code).toBe(0);
  });

  it('the endpoint removes its socket when stopped', async () => {
    const { home, server } = await served();
    expect(statSync(join(home, 'exec-approvals.sock')).mode & 0o777).toBe(0o600);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(existsSync(join(home, 'exec-approvals.sock'))).toBe(false);
    expect(server.stderr).toMatch(/approvals: stopped/);
  });

  it('a stop signal the moment serve announces itself still stops it cleanly (exit 0, socket removed)', async () => {
    const home = freshHome();
    writeFileSync(join(home, 'openclaw.yaml'), GATEWAY);
    const server = start(home, ['approvals', 'serve']);
    let sent = false;
    server.child.stderr?.on('data', () => {
      if (!sent && server.stderr.includes('serving on')) {
        sent = true;
        server.child.kill('SIGTERM');
      }
    });
    expect(await server.exit).toBe(0);
    expect(sent).toBe(true);
    expect(existsSync(join(home, 'exec-approvals.sock'))).toBe(false);
    expect(server.stderr).toMatch(/approvals: stopped/);
  });

  it('tokens kept in SQLite (approvals.tokenStore) survive a restart of serve', async () => {
    const home = freshHome();
    writeFileSync(join(home, 'openclaw.yaml'), `${GATEWAY}approvals:\n  tokenStore: sqlite\n`);
    let server = start(home, ['approvals', 'serve']);
    await until('the endpoint', () => server.stderr.includes('serving on'));
    const pending = openclaw(['approvals', 'request', '--no-wait', '--json', '--', 'rm', '-rf', '/tmp/p'], { home });
    const token = pending.json().token as string;
    server.child.kill('SIGTERM');
    await server.exit;
    server = start(home, ['approvals', 'serve']);
    await until('the endpoint again', () => server.stderr.includes('serving on'));
    expect(
      openclaw(['approvals', 'pending', '--json'], { home })
        .json()
        .tokens.map((t: { id: string }) => t.id),
    ).toEqual([token]);
    expect(existsSync(join(home, 'state/approvals.db'))).toBe(true);
  });
});
