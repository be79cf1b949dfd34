/**
 * 10,000 fuzzed frames against an endpoint in its own process: raw bytes, arbitrary JSON,
 * frame-shaped junk, and — to get past authentication into the parser, the schema and the policy —
 * correctly signed frames whose bodies are junk, near-valid requests and valid requests with hostile
 * strings. Afterwards the same process must still answer, and nothing may have reached the
 * "internal error" path.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { createApprovalsClient } from '../src/client/client.js';
import { readSocketToken } from '../src/file/locate.js';
import { signRequest } from '../src/protocol/frame.js';
import { compiledRequestBody, RequestBody } from '../src/protocol/messages.js';
import { REPO, rawExchange } from './support/harness.js';

const FRAMES = 10_000;
const SEED = 20_261_122;

function hostileString() {
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', '\0', '$(id)', '`id`', '../../etc/passwd', '\u202e', 'a\nb', '__proto__', 'constructor', '%s%n', '\ud800', 'x'.repeat(70_000)),
  );
}

function junkBodies(dir: string) {
  const command = fc.oneof(fc.array(hostileString(), { minLength: 0, maxLength: 6 }), hostileString());
  const execReq = fc.record(
    {
      argv: fc.array(hostileString(), { maxLength: 6 }),
      command: hostileString(),
      cwd: fc.oneof(fc.constant(dir), fc.constant('/'), hostileString()),
      host: fc.oneof(fc.constantFrom('gateway', 'sandbox', 'node'), hostileString()),
      security: fc.constantFrom('deny', 'allowlist', 'full', 'root'),
      agentId: fc.oneof(fc.constant(null), fc.constantFrom('main', '*'), hostileString()),
      sessionId: fc.oneof(fc.constant(null), hostileString()),
      env: fc.dictionary(hostileString(), hostileString(), { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  );
  const valid = fc.record({
    action: fc.constant('local.exec'),
    request: fc.oneof(
      fc.record({ argv: fc.array(hostileString(), { minLength: 1, maxLength: 5 }), cwd: fc.constant(dir) }),
      fc.record({ command: hostileString(), cwd: fc.constant(dir) }),
    ),
  });
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record({ action: fc.constantFrom('ping', 'local.exec', 'local.exec.approve', 'local.exec.deny', 'local.exec.revoke', 'local.exec.pending', 'x') }),
    fc.record(
      {
        action: fc.constantFrom('local.exec', 'local.exec.approve', 'local.exec.pending'),
        request: execReq,
        approvalToken: hostileString(),
        id: hostileString(),
        waitMs: fc.oneof(fc.integer(), fc.double()),
        scope: hostileString(),
        all: fc.anything(),
      },
      { requiredKeys: ['action'] },
    ),
    valid,
    command.map((c) => ({ action: 'local.exec', request: Array.isArray(c) ? { argv: c, cwd: dir } : { command: c, cwd: dir } })),
  );
}

function frames(token: string, dir: string): fc.Arbitrary<string | Uint8Array> {
  const signedJunk = junkBodies(dir).map((b) => signRequest(token, b).line);
  // a correctly signed body that is not JSON at all
  const signedText = fc.string({ maxLength: 200 }).map((body) => {
    const nonce = randomBytes(18).toString('base64url');
    const ts = Date.now();
    const hmac = createHmac('sha256', token).update(`${nonce}:${ts}:${body}`).digest('hex');
    return `${JSON.stringify({ nonce, ts, body, hmac })}\n`;
  });
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from(b), Buffer.from('\n')])) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => `${JSON.stringify(v)}\n`) },
    {
      weight: 2,
      arbitrary: fc
        .record(
          { nonce: fc.anything(), ts: fc.oneof(fc.integer(), fc.double(), fc.anything()), body: fc.anything(), hmac: fc.anything() },
          { requiredKeys: [] },
        )
        .map((f) => `${JSON.stringify(f)}\n`),
    },
    { weight: 6, arbitrary: signedJunk },
    {
      weight: 1,
      // a signed frame with one character changed (MAC, nonce, timestamp or body)
      arbitrary: fc.tuple(signedJunk, fc.nat(), fc.integer({ min: 33, max: 126 })).map(([line, i, ch]) => {
        const at = i % (line.length - 1);
        return `${line.slice(0, at)}${String.fromCharCode(ch === line.charCodeAt(at) ? 35 : ch)}${line.slice(at + 1)}`;
      }),
    },
    { weight: 1, arbitrary: signedText },
  );
}

it(`${FRAMES} fuzzed frames leave the endpoint (its own process) answering, with no internal error`, async () => {
  const dir = testdir();
  const limits = { perSecond: 1e6, burst: 1e6, peerPerSecond: 1e6, peerBurst: 1e6, maxConnections: 1024, maxConnectionsPerPeer: 1024, frameTimeoutMs: 2_000 };
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support/server.ts'), dir, JSON.stringify(limits)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const socketPath = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /\{"ready":"([^"]+)"\}/.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1] as string);
      }
    }, 20);
    void exited.then((code) => reject(new Error(`server exited early (${code})`)));
  });
  const token = await readSocketToken(join(dir, 'exec-approvals.json'));
  try {
    const samples = fc.sample(frames(token, dir), { numRuns: FRAMES, seed: SEED });
    let answered = 0;
    let next = 0;
    const worker = async () => {
      while (next < samples.length) {
        const payload = samples[next++] as string | Uint8Array;
        // Payloads without a newline would wait for the deadline: the write side is ended instead.
        const r = await rawExchange(socketPath, typeof payload === 'string' ? payload : Buffer.from(payload), { waitMs: 5_000, end: true });
        if (r.reply.length > 0) answered++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    expect(child.exitCode).toBeNull();
    expect(answered).toBeGreaterThan(FRAMES / 2);
    const client = createApprovalsClient({ socketPath, token });
    expect(await client.ping()).toMatchObject({ ok: true });
    expect(await client.request({ argv: ['ls'], cwd: dir })).toMatchObject({ decision: 'allow' });
    expect(await client.request({ argv: ['rm', '-rf', '/'], cwd: dir })).toMatchObject({ decision: 'pending_hitl' });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const stats = JSON.parse(/\{"stats":.*\}/.exec(out)?.[0] ?? '{}').stats;
  expect(stats.internalErrors).toBe(0);
  // the fuzz reached every layer: framing, authentication, the schema and the actions
  expect(stats.frameMalformed).toBeGreaterThan(1_000);
  expect(stats.frameHmacInvalid).toBeGreaterThan(100);
  expect(stats.bodyInvalid).toBeGreaterThan(1_000);
  expect(stats.answered - stats.bodyInvalid).toBeGreaterThan(1_000);
  expect(stats.accepted).toBeGreaterThanOrEqual(FRAMES);
});

it('the compiled request schema the endpoint validates with answers exactly as the schema does (result, data, issues)', () => {
  const dir = testdir();
  const bodies = fc.sample(junkBodies(dir), { numRuns: 5_000, seed: SEED });
  let valid = 0;
  for (const body of bodies) {
    const runtime = RequestBody.safeParse(body);
    const compiled = compiledRequestBody.safeParse(body);
    expect(compiled.success).toBe(runtime.success);
    if (runtime.success) {
      valid++;
      expect(compiled.data).toEqual(runtime.data);
    } else expect(compiled.error?.issues).toEqual(runtime.error.issues);
  }
  expect(valid).toBeGreaterThan(500);
  expect(bodies.length - valid).toBeGreaterThan(1_000);
});
