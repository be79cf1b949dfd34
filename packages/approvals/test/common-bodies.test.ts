/**
 * The hand check of the common request bodies (src/protocol/common-bodies.ts) against the schema:
 * whatever it accepts, the schema accepts with the same value; it never accepts what the schema
 * refuses. (What it passes on, the schema decides: the endpoint rejects exactly what it did.)
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { checkCommonBody } from '../src/protocol/common-bodies.js';
import { RequestBody } from '../src/protocol/messages.js';

let acceptedByHand = 0;
function agrees(raw: unknown): boolean {
  const fast = checkCommonBody(raw);
  const schema = RequestBody.safeParse(raw);
  if (fast === undefined) return true;
  acceptedByHand++;
  expect(schema.success, JSON.stringify(raw)).toBe(true);
  expect(fast).toEqual(schema.data);
  return true;
}

const exec = (request: unknown, extra: Record<string, unknown> = {}) => ({ action: 'local.exec', request, ...extra });

it('accepts the common bodies the schema accepts, with the same value', () => {
  const accepted = [
    { action: 'ping' },
    exec({ argv: ['ls', '-la'], cwd: '/tmp' }),
    exec({ command: 'ls | wc -l', cwd: '/' }),
    exec({ command: '', cwd: '/x' }),
    exec({ argv: [''], cwd: '/x', host: 'gateway', security: 'allowlist', ask: 'on-miss', agentId: 'a.b-c_1', sessionId: 's', sandboxId: null }),
    exec({ argv: ['x'.repeat(65_536)], cwd: `/${'d'.repeat(4_095)}`, agentId: null, sessionId: 'x'.repeat(256) }),
  ];
  for (const b of accepted) {
    expect(checkCommonBody(b), JSON.stringify(b).slice(0, 200)).toBeDefined();
    agrees(b);
  }
});

it('never accepts a body the schema refuses', () => {
  const refused = [
    null,
    [],
    'ping',
    {},
    { action: 'ping', extra: 1 },
    { action: 'nope' },
    exec(undefined),
    exec(null),
    exec([]),
    exec({ cwd: '/tmp' }),
    exec({ argv: ['ls'], command: 'ls', cwd: '/tmp' }),
    exec({ argv: [], cwd: '/tmp' }),
    exec({ argv: ['ls', 1], cwd: '/tmp' }),
    exec({ argv: 'ls', cwd: '/tmp' }),
    exec({ argv: ['ls'], cwd: 'tmp' }),
    exec({ argv: ['ls'], cwd: '' }),
    exec({ argv: ['ls'], cwd: `/${'d'.repeat(4_096)}` }),
    exec({ argv: ['x'.repeat(65_537)], cwd: '/' }),
    exec({ argv: Array.from({ length: 4_097 }, () => 'a'), cwd: '/' }),
    exec({ command: 'x'.repeat(65_537), cwd: '/' }),
    exec({ command: 1, cwd: '/' }),
    exec({ argv: ['ls'], cwd: '/tmp', host: 'elsewhere' }),
    exec({ argv: ['ls'], cwd: '/tmp', security: 'none' }),
    exec({ argv: ['ls'], cwd: '/tmp', ask: 'sometimes' }),
    exec({ argv: ['ls'], cwd: '/tmp', agentId: 'a b' }),
    exec({ argv: ['ls'], cwd: '/tmp', agentId: '' }),
    exec({ argv: ['ls'], cwd: '/tmp', agentId: 'a'.repeat(65) }),
    exec({ argv: ['ls'], cwd: '/tmp', sessionId: '' }),
    exec({ argv: ['ls'], cwd: '/tmp', sandboxId: 'x'.repeat(257) }),
    exec({ argv: ['ls'], cwd: '/tmp', sessionId: 5 }),
    exec({ argv: ['ls'], cwd: '/tmp', unknown: true }),
    exec({ argv: ['ls'], cwd: '/tmp' }, { unknown: true }),
    JSON.parse('{"action":"local.exec","request":{"argv":["ls"],"cwd":"/tmp","__proto__":{"x":1}}}'),
    JSON.parse('{"action":"local.exec","request":{"argv":["ls"],"cwd":"/tmp"},"__proto__":{"x":1}}'),
  ];
  for (const b of refused) {
    expect(checkCommonBody(b), JSON.stringify(b)?.slice(0, 200)).toBeUndefined();
    expect(RequestBody.safeParse(b).success, JSON.stringify(b)?.slice(0, 200)).toBe(false);
  }
});

it('leaves the rarer valid shapes to the schema', () => {
  for (const b of [
    exec({ argv: ['ls'], cwd: '/tmp', env: { A: 'b' } }),
    exec({ argv: ['ls'], cwd: '/tmp' }, { approvalToken: 't', waitMs: 10 }),
    { action: 'local.exec.pending' },
    { action: 'local.exec.approve', id: 'x' },
  ]) {
    expect(checkCommonBody(b)).toBeUndefined();
    expect(RequestBody.safeParse(b).success).toBe(true);
  }
});

it('agrees with the schema on generated bodies', () => {
  const text = fc.oneof(fc.constantFrom('', '/', '/tmp', 'ls', 'on-miss', 'gateway', 'full', 'a b', 'ok.id'), fc.string({ maxLength: 8 }));
  const value = fc.oneof(text, fc.constant(null), fc.integer(), fc.boolean(), fc.array(text, { maxLength: 3 }), fc.constant(undefined));
  const request = fc.dictionary(
    fc.constantFrom('argv', 'command', 'cwd', 'host', 'security', 'ask', 'agentId', 'sessionId', 'sandboxId', 'env', 'other'),
    value,
    { maxKeys: 6 },
  );
  // Mostly-valid requests, each field sometimes wrong: where the two checks could part.
  const pick = (...xs: unknown[]) => fc.constantFrom(...xs);
  const nearlyValid = fc.record(
    {
      argv: fc.oneof(fc.array(text, { minLength: 1, maxLength: 3 }), pick([], 'ls', [1], null, undefined)),
      command: pick(undefined, undefined, undefined, 'ls -la', '', 3),
      cwd: pick('/', '/tmp', '/a b', '/', '/tmp', 'tmp', '', 5, undefined),
      host: pick(undefined, 'sandbox', 'gateway', 'node', 'other', null),
      security: pick(undefined, 'deny', 'allowlist', 'full', 'open'),
      ask: pick(undefined, 'off', 'on-miss', 'always', 'never'),
      agentId: pick(undefined, null, 'main', 'a.b-c', 'a b', '', 'x'.repeat(65)),
      sessionId: pick(undefined, null, 's1', '', 'x'.repeat(257), 7),
      sandboxId: pick(undefined, null, 'box', ''),
    },
    { requiredKeys: ['argv', 'cwd'] },
  );
  const body = fc.record(
    {
      action: fc.constantFrom('ping', 'local.exec', 'local.exec', 'local.exec.pending', 'other'),
      request: fc.oneof(nearlyValid, nearlyValid, request, value),
      waitMs: fc.integer({ min: -1, max: 40_000 }),
    },
    { requiredKeys: ['action'] },
  );
  fc.assert(fc.property(body, agrees), { numRuns: 5_000 });
  fc.assert(
    fc.property(nearlyValid, (request) => agrees({ action: 'local.exec', request })),
    { numRuns: 5_000 },
  );
  // Bodies that arrive as JSON (what the endpoint parses): no undefined values.
  fc.assert(
    fc.property(body, (b) => agrees(JSON.parse(JSON.stringify(b)))),
    { numRuns: 5_000 },
  );
  expect(acceptedByHand).toBeGreaterThan(100); // the property is not vacuous
});
