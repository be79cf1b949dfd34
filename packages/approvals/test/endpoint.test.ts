import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { readApprovalsFile } from '@openclaw/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import type { ExecAsk } from '../src/client/client.js';
import { startApprovalsServer } from '../src/endpoint/serve.js';
import { signRequest } from '../src/protocol/frame.js';
import { rawExchange, run, runTs, startWorld, type World } from './support/harness.js';

const worlds: World[] = [];
async function world(opts: Parameters<typeof startWorld>[0] = {}) {
  const w = await startWorld(opts);
  worlds.push(w);
  return w;
}
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.server.close();
});

/** A reasons array holding one with `code` (and a message matching `message`). */
const hasReason = (code: string, message?: RegExp) =>
  expect.arrayContaining([expect.objectContaining({ code, ...(message ? { message: expect.stringMatching(message) } : {}) })]);

const rm = (cwd: string, extra: Partial<ExecAsk> = {}): ExecAsk => ({ argv: ['rm', '-rf', join(cwd, 'x')], cwd, ...extra });

describe('local.exec', () => {
  it('answers allow and deny directly; an ask becomes pending_hitl, approved once, consumed once', async () => {
    const w = await world();
    expect(await w.client.request({ argv: ['ls', '-la'], cwd: w.dir })).toMatchObject({ decision: 'allow' });
    expect(await w.client.request({ argv: ['sudo', 'ls'], cwd: w.dir })).toMatchObject({
      decision: 'deny',
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'always_denied' })]),
    });
    const ask = rm(w.dir, { agentId: 'main', sessionId: 's1' });
    const first = await w.client.request(ask);
    expect(first).toMatchObject({ decision: 'pending_hitl', token: expect.any(String), segments: [{ realPath: '/usr/bin/rm' }] });
    const token = first.token as string;
    // still pending: a retry that does not wait says so
    expect(await w.client.call({ action: 'local.exec', request: ask, approvalToken: token })).toMatchObject({ decision: 'pending_hitl' });
    const waiting = w.client.waitForDecision(token, { timeoutMs: 10_000 });
    const pending = await w.client.pending();
    expect(pending.tokens.map((t) => t.id)).toEqual([token]);
    expect(pending.tokens[0]?.request).toMatchObject({ command: `rm -rf ${join(w.dir, 'x')}`, cwd: w.dir, host: 'gateway' });
    expect(await w.client.approve(token.slice(0, 8))).toMatchObject({ ok: true, token: { state: 'approved' } });
    expect(await waiting).toMatchObject({ decision: 'allow', reasons: hasReason('human_approved') });
    const again = await w.client.call({ action: 'local.exec', request: ask, approvalToken: token });
    expect(again).toMatchObject({ decision: 'deny', reasons: hasReason('token_consumed') });
    expect(w.events.map((e) => (e as { event: string }).event)).toEqual(['pending', 'approved', 'consumed']);
  });

  it('a denial reaches the waiting requester with the reason', async () => {
    const w = await world();
    const ask = rm(w.dir);
    const { token } = await w.client.request(ask);
    const waiting = w.client.waitForDecision(token as string, { timeoutMs: 10_000 });
    await w.client.deny(token as string, 'not on this box');
    expect(await waiting).toMatchObject({ decision: 'deny', reasons: hasReason('token_denied', /not on this box/) });
  });

  it('nobody answering → timeout; the token then expires', async () => {
    const w = await world({ ttls: { pendingMs: 1_500 }, pruneIntervalMs: 100 });
    const ask = rm(w.dir);
    const { token } = await w.client.request(ask);
    expect(await w.client.waitForDecision(token as string, { timeoutMs: 300 })).toMatchObject({ decision: 'timeout' });
    expect(await w.client.waitForDecision(token as string, { timeoutMs: 5_000, request: ask })).toMatchObject({
      decision: 'deny',
      reasons: hasReason('token_expired'),
    });
  });

  it('a token presented for another command, session or sandbox is refused', async () => {
    const w = await world();
    const ask = rm(w.dir, { sessionId: 's1' });
    const { token } = await w.client.request(ask);
    await w.client.approve(token as string);
    for (const [other, code] of [
      [{ ...ask, argv: ['rm', '-rf', '/'] }, 'token_fingerprint_mismatch'],
      [{ ...ask, cwd: '/' }, 'token_fingerprint_mismatch'],
      [{ ...ask, sessionId: 's2' }, 'token_context_mismatch'],
      [{ ...ask, sandboxId: 'b1' }, 'token_context_mismatch'],
      [{ ...ask, agentId: 'main' }, 'token_context_mismatch'],
    ] as const)
      expect(await w.client.call({ action: 'local.exec', request: other, approvalToken: token }), code).toMatchObject({
        decision: 'deny',
        reasons: hasReason(code),
      });
    expect(await w.client.call({ action: 'local.exec', request: ask, approvalToken: token })).toMatchObject({ decision: 'allow' });
  });

  it('allow-always adds the canonical path to that agent’s allowlist (never a shell) and the next request is allowed directly', async () => {
    const w = await world();
    const ask = rm(w.dir, { agentId: 'main' });
    const { token } = await w.client.request(ask);
    const r = await w.client.approve(token as string, { always: true });
    expect(r).toMatchObject({ ok: true, allowlisted: ['/usr/bin/rm'], warnings: [] });
    const file = await readApprovalsFile(w.approvalsPath);
    expect(file.status === 'ok' && file.file.agents?.main?.allowlist).toEqual([
      expect.objectContaining({ pattern: '/usr/bin/rm', source: 'allow-always', lastResolvedPath: '/usr/bin/rm', id: expect.any(String) }),
    ]);
    expect(await w.client.request({ ...ask, argv: ['rm', '-f', join(w.dir, 'y')] })).toMatchObject({ decision: 'allow' });
    // another agent is not affected
    expect(await w.client.request({ ...ask, agentId: 'other' })).toMatchObject({ decision: 'pending_hitl' });
    const shell = await w.client.request({ argv: ['bash'], cwd: w.dir, agentId: 'main' });
    const s = await w.client.approve(shell.token as string, { always: true });
    expect(s.allowlisted).toEqual([]);
    expect(s.warnings?.[0]).toMatch(/is a shell: not added/);
  });

  it('a corrupt approvals file while serving: every request denied, the file untouched; fixed → answered again', async () => {
    const w = await world();
    writeFileSync(w.approvalsPath, '{"version": 1, "agents": ');
    const before = readFileSync(w.approvalsPath);
    const r = await w.client.request({ argv: ['ls'], cwd: w.dir });
    expect(r).toMatchObject({ decision: 'deny', reasons: hasReason('approvals_file_invalid') });
    // allow-always cannot write into it either
    expect(readFileSync(w.approvalsPath)).toEqual(before);
    writeFileSync(w.approvalsPath, JSON.stringify({ version: 1, socket: { token: w.token }, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } }));
    expect(await w.client.request({ argv: ['ls'], cwd: w.dir })).toMatchObject({ decision: 'allow' });
  });

  it('requests answered together (one turn of the event loop) all see a change made before they were sent', async () => {
    const w = await world();
    const ls = { argv: ['ls'], cwd: w.dir };
    const allowed = JSON.stringify({ version: 1, socket: { token: w.token }, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } });
    const none = JSON.stringify({ version: 1, socket: { token: w.token }, agents: { '*': { allowlist: [] } } });
    for (const [text, decision] of [
      [allowed, 'allow'],
      [none, 'pending_hitl'],
      [allowed, 'allow'],
      [none, 'pending_hitl'],
    ] as const) {
      writeFileSync(w.approvalsPath, text);
      const answers = await Promise.all(Array.from({ length: 16 }, () => w.client.request(ls)));
      expect(answers.map((a) => a.decision)).toEqual(Array(16).fill(decision));
    }
  });

  it('tokens in SQLite survive a restart of the endpoint', async () => {
    const w = await startWorld({ tokenStore: 'sqlite' });
    const ask = rm(w.dir);
    const { token } = await w.client.request(ask);
    await w.server.close();
    const again = await world({ dir: w.dir, tokenStore: 'sqlite' });
    expect((await again.client.pending()).tokens.map((t) => t.id)).toEqual([token]);
    await again.client.approve(token as string);
    expect(await again.client.waitForDecision(token as string, { timeoutMs: 5_000, request: ask })).toMatchObject({ decision: 'allow' });
  });
});

describe('the socket', () => {
  it('lives in a 0700 directory as 0600, and is removed on close', async () => {
    const w = await startWorld();
    expect(statSync(join(w.socketPath, '..')).mode & 0o777).toBe(0o700);
    expect(lstatSync(w.socketPath).mode & 0o777).toBe(0o600);
    await w.server.close();
    expect(lstatSync(w.socketPath, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a stale socket is removed at start; a live one refuses the start; a non-socket is never deleted', async () => {
    const dir = testdir();
    mkdirSync(join(dir, 'sock'), { mode: 0o700 });
    const socketPath = join(dir, 'sock', 'a.sock');
    // A crashed endpoint leaves its socket file behind: a process that listened and was killed.
    const crashed = spawn(process.execPath, ['-e', 'require("node:net").createServer().listen(process.argv[1], () => console.log("up"))', socketPath]);
    await new Promise((r) => crashed.stdout.once('data', r));
    crashed.kill('SIGKILL');
    await new Promise((r) => crashed.once('close', r));
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    writeFileSync(join(dir, 'exec-approvals.json'), '{"version":1}', { mode: 0o600 });
    const location = { approvalsPath: join(dir, 'exec-approvals.json'), socketPath, configFile: null, tokenStore: 'memory' as const };
    const server = await startApprovalsServer({ location });
    try {
      await expect(startApprovalsServer({ location })).rejects.toMatchObject({ code: 'endpoint_running' });
      expect(lstatSync(socketPath).isSocket()).toBe(true);
    } finally {
      await server.close();
    }
    writeFileSync(socketPath, 'keep me');
    await expect(startApprovalsServer({ location })).rejects.toMatchObject({ code: 'socket_path_taken' });
    expect(readFileSync(socketPath, 'utf8')).toBe('keep me');
  });

  it('refuses a socket directory others can enter', async () => {
    const dir = testdir();
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    writeFileSync(join(dir, 'exec-approvals.json'), '{"version":1}', { mode: 0o600 });
    await expect(
      startApprovalsServer({
        location: { approvalsPath: join(dir, 'exec-approvals.json'), socketPath: join(open, 's.sock'), configFile: null, tokenStore: 'memory' },
      }),
    ).rejects.toMatchObject({ code: 'socket_dir_unsafe', reason: expect.stringMatching(/permissions 755/) });
  });
});

describe('attacks on the endpoint', () => {
  const body = { action: 'ping' };

  it.each<[string, (w: World) => string | Buffer, RegExp, keyof World['server']['stats']]>([
    ['a forged frame (wrong token)', () => signRequest('not-the-token-0123456789', body).line, /frame_hmac_invalid/, 'frameHmacInvalid'],
    ['an expired frame (11 s old)', (w) => signRequest(w.token, body, { ts: Date.now() - 11_000 }).line, /frame_expired/, 'frameExpired'],
    ['a frame from the future (11 s)', (w) => signRequest(w.token, body, { ts: Date.now() + 11_000 }).line, /frame_expired/, 'frameExpired'],
    ['a frame older than the server', (w) => signRequest(w.token, body, { ts: Date.now() - 5_000 }).line, /older than this endpoint/, 'frameExpired'],
    ['a tampered body', (w) => signRequest(w.token, body).line.replace('ping', 'pong'), /frame_hmac_invalid/, 'frameHmacInvalid'],
    ['not JSON', () => 'hello\n', /frame_malformed/, 'frameMalformed'],
    ['a short nonce', (w) => signRequest(w.token, body, { nonce: 'abc' }).line, /frame_malformed/, 'frameMalformed'],
    ['an oversized frame (300 KiB)', () => Buffer.alloc(300 * 1024, 'a'), /frame_too_large/, 'frameTooLarge'],
    ['a line cut short (the client ends before the newline)', (w) => signRequest(w.token, body).line.slice(0, 40), /frame_malformed/, 'frameMalformed'],
  ])('%s is refused, never answered with a signed response', async (_name, make, expected, counter) => {
    const w = await world();
    const payload = make(w);
    const r = await new Promise<{ reply: string }>((resolve) => {
      const s = connect(w.socketPath, () => (typeof payload === 'string' && !payload.endsWith('\n') ? s.end(payload) : s.write(payload)));
      let reply = '';
      s.on('data', (d) => (reply += d));
      s.on('error', () => undefined);
      s.on('close', () => resolve({ reply }));
    });
    expect(r.reply).toMatch(expected);
    expect(r.reply).not.toMatch(/"hmac"/);
    expect(w.server.stats[counter]).toBe(1);
    expect(w.server.stats.answered).toBe(0);
    expect(await w.client.ping()).toMatchObject({ ok: true });
  });

  it('a replayed frame is refused (the original was answered)', async () => {
    const w = await world();
    const { line } = signRequest(w.token, { action: 'local.exec', request: { argv: ['ls'], cwd: w.dir } });
    const first = await rawExchange(w.socketPath, line);
    expect(first.reply).toMatch(/"hmac"/);
    const replay = await rawExchange(w.socketPath, line);
    expect(replay.reply).toMatch(/frame_replayed/);
    expect(w.server.stats.frameReplayed).toBe(1);
  });

  it('a slow client is cut off at the deadline with no answer', async () => {
    const w = await world({ limits: { frameTimeoutMs: 300 } });
    const line = signRequest(w.token, body).line;
    const r = await rawExchange(w.socketPath, line.slice(0, 30), { waitMs: 3_000 });
    expect(r.closedByServer).toBe(true);
    expect(r.reply).toBe('');
    expect(w.server.stats.frameTimeout).toBe(1);
  });

  it('a signed body that is not a valid request gets an error answer, never a decision', async () => {
    const w = await world();
    for (const bad of [
      { action: 'local.exec', request: { argv: [], cwd: '/' } },
      { action: 'nope' },
      [1, 2],
      { action: 'local.exec', request: { argv: ['ls'], cwd: 'rel' } },
    ])
      await expect(w.client.call(bad)).rejects.toMatchObject({ code: 'body_invalid' });
    expect(w.server.stats.bodyInvalid).toBe(4);
  });

  it('floods are cut: the rate limit answers rate_limited, the connection cap too_many_connections', async () => {
    const w = await world({ limits: { perSecond: 5, burst: 5 } });
    const results = await Promise.all(Array.from({ length: 20 }, () => rawExchange(w.socketPath, signRequest(w.token, body).line)));
    expect(results.filter((r) => /rate_limited/.test(r.reply)).length).toBeGreaterThanOrEqual(14);
    expect(w.server.stats.rateLimited).toBeGreaterThanOrEqual(14);
    const c = await world({ limits: { maxConnectionsPerPeer: 2, frameTimeoutMs: 2_000 } });
    const idle = [rawExchange(c.socketPath, undefined, { waitMs: 500 }), rawExchange(c.socketPath, undefined, { waitMs: 500 })];
    await new Promise((r) => setTimeout(r, 100));
    const third = await rawExchange(c.socketPath, signRequest(c.token, body).line, { waitMs: 1_000 });
    expect(third.reply).toMatch(/too_many_connections/);
    await Promise.all(idle);
  });

  it('64 concurrent consumers of one approved token, from 8 processes: exactly one is allowed', async () => {
    const w = await world();
    const ask = rm(w.dir, { sessionId: 'race' });
    const { token } = await w.client.request(ask);
    await w.client.approve(token as string);
    const goAt = String(Date.now() + 4_000);
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => runTs('consume.ts', [w.socketPath, w.token, token as string, JSON.stringify(ask), '8', goAt])),
    );
    const decisions = runs.flatMap((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as string[];
    });
    expect(decisions).toHaveLength(64);
    expect(decisions.filter((d) => d === 'allow')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'deny')).toHaveLength(63);
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)(
    'a client running as another user (uid 65534) gets no response, even with the token and an open socket (needs root to switch uid)',
    async () => {
      const w = await world();
      // Loosen the permissions as a mistake would, so only the peer-credential check stands in the way.
      chmodSync(w.dir, 0o711);
      chmodSync(join(w.socketPath, '..'), 0o711);
      chmodSync(w.socketPath, 0o666);
      const script = `
      const net = require('node:net'), crypto = require('node:crypto');
      const [sock, token] = process.argv.slice(1);
      const body = JSON.stringify({ action: 'local.exec', request: { argv: ['ls'], cwd: '/' } });
      const nonce = crypto.randomBytes(18).toString('base64url'), ts = Date.now();
      const hmac = crypto.createHmac('sha256', token).update(nonce + ':' + ts + ':' + body).digest('hex');
      let got = '', error = null, connected = false;
      const s = net.connect(sock, () => { connected = true; s.write(JSON.stringify({ nonce, ts, body, hmac }) + '\\n'); });
      s.on('data', (d) => got += d);
      s.on('error', (e) => { error = e.code; });
      s.on('close', () => console.log(JSON.stringify({ uid: process.getuid(), connected, error, got })));`;
      const asNobody = () => run(process.execPath, ['-e', script, w.socketPath, w.token], { uid: 65534, timeoutMs: 20_000 });
      const refused = await asNobody();
      // Connected, maybe even wrote (EPIPE/ECONNRESET when the server closes first), and got nothing back.
      expect(JSON.parse(refused.stdout), refused.stderr).toMatchObject({ uid: 65534, connected: true, got: '' });
      expect(w.server.stats.refusedPeer).toBe(1);
      expect(w.server.stats.answered).toBe(0);
      expect(w.events).toContainEqual(expect.objectContaining({ event: 'refused_peer', uid: 65534 }));
      // with the permissions as the endpoint sets them, the kernel refuses the connection outright
      chmodSync(join(w.socketPath, '..'), 0o700);
      expect(JSON.parse((await asNobody()).stdout)).toMatchObject({ error: 'EACCES', got: '' });
      // and the owner is still answered
      expect(await w.client.ping()).toMatchObject({ ok: true });
    },
  );
});
