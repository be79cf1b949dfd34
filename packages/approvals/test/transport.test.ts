/**
 * The connection layer on its own (server.ts with small handlers, real sockets): deadlines kept by
 * one sweep, bytes after the request line ignored but bounded, answers given without a promise or
 * with one, a handler that throws, long polls that end with their client, the peer-credential call
 * and the frame helpers it relies on.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { createApprovalsClient } from '../src/client/client.js';
import { requirePeerCheck, socketFd } from '../src/endpoint/peer-cred.js';
import { ReplayCache } from '../src/endpoint/replay.js';
import { type ActionHandler, type EndpointLimits, type RunningEndpoint, startEndpoint } from '../src/endpoint/server.js';
import { newNonce, signRequest, signResponse, verifyRequest, verifyResponse } from '../src/protocol/frame.js';
import { rawExchange } from './support/harness.js';

const TOKEN = 'transport-test-token-0123456789abcdef';
const running: RunningEndpoint[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
});

/** An endpoint with `handle` on a fresh socket; events collected. */
async function endpoint(handle: ActionHandler, limits: Partial<EndpointLimits> = {}) {
  const events: unknown[] = [];
  const e = await startEndpoint({ socketPath: join(testdir(), 's', 'a.sock'), token: TOKEN, handle, limits, onEvent: (x) => events.push(x) });
  running.push(e);
  return { ...e, events, client: createApprovalsClient({ socketPath: e.socketPath, token: TOKEN }) };
}

const echo: ActionHandler = (body) => ({ echoed: body });

/** Opens a connection, writes `data`, and reports whether and when the server closed it (the client never closes first). */
function holdOpen(socketPath: string, data: Buffer | string, waitMs: number) {
  return new Promise<{ reply: string; closedByServer: boolean }>((resolve) => {
    const sock = connect(socketPath, () => sock.write(data));
    let reply = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ reply, closedByServer: false });
    }, waitMs);
    sock.on('data', (d) => (reply += d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closedByServer: true });
    });
  });
}

describe('the connection layer', () => {
  it('answers a handler that returns at once, one that returns a promise, and one that waits', async () => {
    const e = await endpoint((body) => {
      const b = body as { how: string };
      if (b.how === 'now') return { got: 'now' };
      if (b.how === 'promise') return Promise.resolve({ got: 'promise' });
      return new Promise((r) => setTimeout(() => r({ got: 'later' }), 50));
    });
    expect(await e.client.call({ how: 'now' })).toEqual({ got: 'now' });
    expect(await e.client.call({ how: 'promise' })).toEqual({ got: 'promise' });
    expect(await e.client.call({ how: 'later' })).toEqual({ got: 'later' });
    expect(e.stats.answered).toBe(3);
  });

  it('a handler that throws, or rejects, gets the internal-error answer and the endpoint goes on', async () => {
    const e = await endpoint((body) => {
      const b = body as { how: string };
      if (b.how === 'throw') throw new Error('boom');
      if (b.how === 'reject') return Promise.reject(new Error('late boom'));
      return { ok: true };
    });
    await expect(e.client.call({ how: 'throw' })).rejects.toMatchObject({ code: 'internal' });
    await expect(e.client.call({ how: 'reject' })).rejects.toMatchObject({ code: 'internal' });
    expect(await e.client.call({ how: 'fine' })).toEqual({ ok: true });
    expect(e.stats.internalErrors).toBe(2);
    expect(e.events).toEqual([
      { event: 'internal_error', message: 'boom' },
      { event: 'internal_error', message: 'late boom' },
    ]);
  });

  it('one sweep cuts every slow client at its deadline, with no answer, and keeps serving', async () => {
    const e = await endpoint(echo, { frameTimeoutMs: 200 });
    const partial = signRequest(TOKEN, { x: 1 }).line.slice(0, 30);
    const slow = await Promise.all(Array.from({ length: 5 }, () => holdOpen(e.socketPath, partial, 5_000)));
    expect(slow).toEqual(Array.from({ length: 5 }, () => ({ reply: '', closedByServer: true })));
    expect(e.stats.frameTimeout).toBe(5);
    expect(e.events.filter((x) => (x as { code?: string }).code === 'frame_timeout')).toHaveLength(5);
    expect(await e.client.call({ x: 2 })).toEqual({ echoed: { x: 2 } });
  });

  it('connections that close in any order leave the others tracked: the sweep still cuts them, and close() ends the rest', async () => {
    const e = await endpoint(echo, { frameTimeoutMs: 300 });
    const partial = signRequest(TOKEN, { x: 1 }).line.slice(0, 30);
    const open = (n: number) =>
      Promise.all(
        Array.from(
          { length: n },
          () =>
            new Promise<Socket>((resolve) => {
              const s = connect(e.socketPath, () => s.write(partial, () => resolve(s)));
              s.on('error', () => undefined);
            }),
        ),
      );
    const closedByServer = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
    const socks = await open(6);
    await new Promise((r) => setTimeout(r, 30)); // all accepted and tracked
    // The first, a middle one and the last opened go away first (head, middle and tail of the list, whatever its order).
    for (const i of [0, 3, 5]) (socks[i] as Socket).destroy();
    await Promise.all([1, 2, 4].map((i) => closedByServer(socks[i] as Socket)));
    expect(e.stats.frameTimeout).toBe(3);
    const more = await open(3);
    await new Promise((r) => setTimeout(r, 30));
    await e.close();
    await Promise.all(more.map(closedByServer));
    expect(e.stats.frameTimeout).toBe(3);
  });

  it('bytes after the request line are ignored: one answer, then the connection is closed for the client that never does', async () => {
    const e = await endpoint(echo);
    const first = signRequest(TOKEN, { n: 1 }).line;
    const second = signRequest(TOKEN, { n: 2 }).line;
    const r = await holdOpen(e.socketPath, first + second, 5_000);
    expect(r.closedByServer).toBe(true);
    const lines = r.reply.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(verifyResponse(TOKEN, JSON.parse(first).nonce, lines[0] as string)).toEqual({ ok: true, body: JSON.stringify({ echoed: { n: 1 } }) });
    expect(e.stats.answered).toBe(1);
  });

  it('a client that keeps writing after its request is cut once it passes the frame cap', async () => {
    const e = await endpoint(echo, { maxFrameBytes: 4_096 });
    const r = await holdOpen(e.socketPath, Buffer.concat([Buffer.from(signRequest(TOKEN, { n: 1 }).line), Buffer.alloc(64 * 1024, 'x')]), 5_000);
    expect(r.closedByServer).toBe(true);
    expect(e.stats.answered).toBe(1);
  });

  it('a refused connection is answered, then closed for the client that never does', async () => {
    const e = await endpoint(echo, { perSecond: 1, burst: 1 });
    expect(await e.client.call({ n: 1 })).toEqual({ echoed: { n: 1 } });
    const r = await holdOpen(e.socketPath, signRequest(TOKEN, { n: 2 }).line, 5_000);
    expect(r).toMatchObject({ closedByServer: true, reply: expect.stringMatching(/rate_limited/) });
  });

  it('a request that waits (a long poll) ends when its client goes away, or ends its side and gets the answer at once', async () => {
    const aborted: unknown[] = [];
    const e = await endpoint(
      (_body, ctx) =>
        new Promise((resolve) => {
          const t = setTimeout(() => resolve({ waited: 'all the way' }), 20_000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            aborted.push(ctx.signal.reason);
            resolve({ waited: 'no one left' });
          });
        }),
    );
    const gone = await rawExchange(e.socketPath, signRequest(TOKEN, { wait: true }).line, { waitMs: 300 });
    expect(gone).toMatchObject({ reply: '', closedByServer: false });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(aborted).toMatchObject([{ name: 'ConnectionClosed' }]);
    const request = signRequest(TOKEN, { wait: true });
    const halfClosed = await rawExchange(e.socketPath, request.line, { waitMs: 5_000, end: true });
    expect(halfClosed.closedByServer).toBe(true);
    expect(verifyResponse(TOKEN, request.nonce, halfClosed.reply.trimEnd())).toEqual({ ok: true, body: JSON.stringify({ waited: 'no one left' }) });
    expect(aborted).toHaveLength(2);
  });

  it('an answer larger than the socket buffer arrives whole', async () => {
    const big = 'y'.repeat(3 * 1024 * 1024);
    const e = await endpoint(() => ({ big }));
    expect(await e.client.call<{ big: string }>({ n: 1 })).toEqual({ big });
  });
});

describe('the peer-credential check', () => {
  it('reads the uid, gid and pid of the process at the other end of an accepted socket', async () => {
    const peerCred = requirePeerCheck();
    const dir = testdir();
    const socketPath = join(dir, 'p.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer({ pauseOnConnect: true }, (s) => {
        server.close();
        resolve(s);
      }).listen(socketPath, () => connect(socketPath).on('error', () => undefined));
    });
    const sock = await accepted;
    try {
      // the same answer twice: the array the addon fills is reused between calls
      for (let i = 0; i < 2; i++) expect(peerCred(socketFd(sock))).toEqual({ uid: process.getuid?.(), gid: process.getgid?.(), pid: process.pid });
      expect(() => peerCred(-1)).toThrow(/fd must be a non-negative integer/);
    } finally {
      sock.destroy();
    }
  });
});

describe('the replay cache', () => {
  it('refuses a nonce for as long as its frame is acceptable (ts + window), whatever the order of arrival, then forgets it', () => {
    const windowMs = 10_000;
    const t0 = 1_700_000_000_000;
    const cache = new ReplayCache(windowMs, t0);
    // frames stamped up to a window early or late, arriving over 30 s
    const frames = Array.from({ length: 3_000 }, (_, i) => ({ nonce: `n${i}`, now: t0 + i * 10, ts: t0 + i * 10 + ((i * 7_919) % (2 * windowMs)) - windowMs }));
    let replays = 0;
    for (let now = t0; now <= t0 + 30_000 + 2 * windowMs; now += 10) {
      const i = (now - t0) / 10;
      const f = frames[i];
      if (f) expect(cache.remember(f.nonce, f.ts, now)).toBe(true);
      // replays of earlier frames: refused while |now − ts| ≤ window
      if (i % 25 === 0)
        for (const g of frames.slice(0, i + 1).filter((_, k) => k % 37 === 0))
          if (Math.abs(now - g.ts) <= windowMs) {
            replays++;
            expect(cache.remember(g.nonce, g.ts, now), `${g.nonce} at ${now - t0}`).toBe(false);
          }
    }
    expect(replays).toBeGreaterThan(3_000);
    // long after every window has closed nothing is left
    cache.remember('late', t0 + 60_000, t0 + 60_000);
    expect(cache.size).toBe(1);
  });
});

describe('the frame helpers', () => {
  it('a response line is exactly the JSON of {nonce, ts, body, hmac} and verifies', () => {
    const body = { decision: 'allow', reasons: [{ code: 'x', message: 'quote " backslash \\ newline \n unicode é \u2028' }] };
    const line = signResponse(TOKEN, 'abcdefghijklmnopqrstuvwx', body, 1_700_000_000_000);
    const text = JSON.stringify(body);
    const hmac = createHmac('sha256', TOKEN).update(`resp:abcdefghijklmnopqrstuvwx:1700000000000:${text}`).digest('hex');
    expect(line).toBe(`${JSON.stringify({ nonce: 'abcdefghijklmnopqrstuvwx', ts: 1_700_000_000_000, body: text, hmac })}\n`);
    expect(verifyResponse(TOKEN, 'abcdefghijklmnopqrstuvwx', line.trimEnd())).toEqual({ ok: true, body: text });
  });

  it('the MAC is HMAC-SHA256 as node:crypto computes it, for keys up to and past a block and messages past the scratch buffer', () => {
    const keys = ['k'.repeat(16), 'é-ключ-🔑-0123456789', 'x'.repeat(64), 'y'.repeat(65), randomBytes(200).toString('latin1'), TOKEN];
    const bodies = [
      '',
      'plain',
      'quote " \\ \n é \u2028 🙂 \ud800 lone surrogate',
      'a'.repeat(5_420),
      'é'.repeat(1_800),
      'é'.repeat(6_000),
      '🙂'.repeat(40_000),
    ];
    for (const key of keys)
      for (const text of bodies) {
        const line = signRequest(key, text, { nonce: 'abcdefghijklmnopqrstuvwx', ts: 1_700_000_000_000 }).line;
        const frame = JSON.parse(line) as { body: string; hmac: string };
        expect(frame.hmac).toBe(createHmac('sha256', key).update(`abcdefghijklmnopqrstuvwx:1700000000000:${frame.body}`).digest('hex'));
        expect(verifyRequest(key, line.trimEnd(), 1_700_000_000_000)).toMatchObject({ ok: true });
        const response = signResponse(key, 'abcdefghijklmnopqrstuvwx', text, 1_700_000_000_000);
        expect(JSON.parse(response).hmac).toBe(createHmac('sha256', key).update(`resp:abcdefghijklmnopqrstuvwx:1700000000000:${frame.body}`).digest('hex'));
        expect(verifyResponse(key, 'abcdefghijklmnopqrstuvwx', response.trimEnd())).toEqual({ ok: true, body: frame.body });
        // Another key, or any changed digit of the MAC, is refused.
        expect(verifyRequest(`${key}!`, line.trimEnd(), 1_700_000_000_000)).toMatchObject({ ok: false, code: 'frame_hmac_invalid' });
        for (const at of [0, 31, 63]) {
          const hmac = frame.hmac.slice(0, at) + (frame.hmac[at] === '0' ? '1' : '0') + frame.hmac.slice(at + 1);
          const forged = line.replace(frame.hmac, hmac).trimEnd();
          expect(verifyRequest(key, forged, 1_700_000_000_000)).toMatchObject({ ok: false, code: 'frame_hmac_invalid' });
          expect(verifyResponse(key, 'abcdefghijklmnopqrstuvwx', response.replace(JSON.parse(response).hmac, hmac).trimEnd())).toMatchObject({ ok: false });
        }
      }
  });

  it('nonces are distinct and well formed across many refills of their pool', () => {
    const nonces = Array.from({ length: 5_000 }, () => newNonce());
    expect(new Set(nonces).size).toBe(5_000);
    for (const n of nonces) expect(n).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const { line } = signRequest(TOKEN, { a: 1 });
    expect(verifyRequest(TOKEN, line.trimEnd())).toMatchObject({ ok: true });
  });
});
