import { statSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy } from '@openclaw/policy';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { requestFingerprint } from '../src/tokens/fingerprint.js';
import type { TokenBinding, TokenRequestView } from '../src/tokens/machine.js';
import { openSqliteTokenStore } from '../src/tokens/sqlite-table.js';
import { createMemoryTokenStore, newTokenId, type TokenStore, type TokenStoreOptions } from '../src/tokens/store.js';

const binding: TokenBinding = { fingerprint: 'f'.repeat(64), agentId: 'main', sessionId: 's1', sandboxId: null };
const view: TokenRequestView = { command: 'rm -rf /tmp/x', cwd: '/tmp', host: 'gateway', segments: [], reasons: [] };

/** A clock the test moves. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const stores: [string, (opts: TokenStoreOptions) => Promise<TokenStore>][] = [
  ['memory', async (opts) => createMemoryTokenStore(opts)],
  ['sqlite', async (opts) => openSqliteTokenStore(join(testdir(), 'state/approvals.db'), opts)],
];

describe.each(stores)('token state machine (%s store)', (_name, open) => {
  const ttls = { pendingMs: 10_000, approvedMs: 2_000 };

  it('Pending → Approved → Consumed, once', async () => {
    const c = clock();
    const s = await open({ ttls, now: c.now });
    const t = s.issue(binding, view);
    expect(t?.state).toBe('pending');
    expect(s.consume(t!.id, binding)).toMatchObject({ ok: false, code: 'token_pending' });
    expect(s.operate(t!.id, 'approve')).toMatchObject({ ok: true, record: { state: 'approved', expiresAt: c.now() + 2_000 } });
    expect(s.consume(t!.id, binding)).toMatchObject({ ok: true, record: { state: 'consumed' } });
    expect(s.consume(t!.id, binding)).toMatchObject({ ok: false, code: 'token_consumed' });
    expect(s.operate(t!.id, 'revoke')).toMatchObject({ ok: false, code: 'token_not_active' });
    s.close();
  });

  it.each<[string, (s: TokenStore, id: string, c: ReturnType<typeof clock>) => void, string]>([
    ['deny', (s, id) => s.operate(id, 'deny', { reason: 'not today' }), 'token_denied'],
    ['revoke while pending', (s, id) => s.operate(id, 'revoke'), 'token_revoked'],
    [
      'revoke after approval',
      (s, id) => {
        s.operate(id, 'approve');
        s.operate(id, 'revoke');
      },
      'token_revoked',
    ],
    ['pending TTL passes', (_s, _id, c) => c.advance(10_001), 'token_expired'],
    [
      'approved TTL passes',
      (s, id, c) => {
        s.operate(id, 'approve');
        c.advance(2_001);
      },
      'token_expired',
    ],
  ])('%s → consume refused with %s', async (_n, act, code) => {
    const c = clock();
    const s = await open({ ttls, now: c.now });
    const t = s.issue(binding, view)!;
    act(s, t.id, c);
    const r = s.consume(t.id, binding);
    expect(r).toMatchObject({ ok: false, code });
    if (code === 'token_denied') expect(!r.ok && r.reason).toMatch(/not today/);
    s.close();
  });

  it('operators can act only on live tokens, by id or a unique prefix', async () => {
    const c = clock();
    const s = await open({ ttls, now: c.now });
    const t = s.issue(binding, view)!;
    expect(s.operate(t.id.slice(0, 8), 'approve')).toMatchObject({ ok: true });
    expect(s.operate(t.id, 'approve')).toMatchObject({ ok: false, code: 'token_not_pending' });
    expect(s.operate(t.id, 'deny')).toMatchObject({ ok: false, code: 'token_not_pending' });
    expect(s.operate('nope', 'approve')).toMatchObject({ ok: false, code: 'token_unknown' });
    expect(s.operate(t.id.slice(0, 3), 'approve')).toMatchObject({ ok: false, code: 'token_unknown' });
    c.advance(10_001);
    const u = s.issue(binding, view)!;
    c.advance(10_001);
    expect(s.operate(u.id, 'approve')).toMatchObject({ ok: false, code: 'token_not_pending', reason: expect.stringMatching(/expired/) });
    s.close();
  });

  it.each<[string, Partial<TokenBinding>, string, RegExp]>([
    ['another command', { fingerprint: 'e'.repeat(64) }, 'token_fingerprint_mismatch', /another command/],
    ['another agent', { agentId: 'other' }, 'token_context_mismatch', /agent main, not other/],
    ['no agent', { agentId: null }, 'token_context_mismatch', /agent main, not \(none\)/],
    ['another session', { sessionId: 's2' }, 'token_context_mismatch', /session s1, not s2/],
    ['another sandbox', { sandboxId: 'box' }, 'token_context_mismatch', /sandbox \(none\), not box/],
  ])('presented from %s → refused, and the token still works for its own request', async (_n, change, code, reason) => {
    const s = await open({ ttls });
    const t = s.issue(binding, view)!;
    s.operate(t.id, 'approve');
    expect(s.consume(t.id, { ...binding, ...change })).toMatchObject({ ok: false, code, reason: expect.stringMatching(reason) });
    expect(s.consume(t.id, binding)).toMatchObject({ ok: true });
    s.close();
  });

  it('pruning expires live tokens past their TTL and deletes finished ones after the retention', async () => {
    const c = clock();
    const s = await open({ ttls, now: c.now, retainMs: 60_000 });
    const a = s.issue(binding, view)!;
    const b = s.issue(binding, view)!;
    s.operate(b.id, 'deny');
    c.advance(10_001);
    const p1 = s.prune();
    expect(p1.expired.map((r) => r.id)).toEqual([a.id]);
    expect(p1.deleted).toBe(0);
    expect(s.list().map((r) => r.state)).toEqual(['expired', 'revoked']);
    c.advance(60_001);
    expect(s.prune().deleted).toBe(2);
    expect(s.list()).toEqual([]);
    expect(s.consume(a.id, binding)).toMatchObject({ ok: false, code: 'token_unknown' });
    s.close();
  });

  it('refuses more pending tokens than its cap', async () => {
    const s = await open({ ttls, maxPending: 3 });
    for (let i = 0; i < 3; i++) expect(s.issue(binding, view)).toBeDefined();
    expect(s.issue(binding, view)).toBeUndefined();
    s.close();
  });
});

describe('token ids', () => {
  it('are 22 base64url characters, distinct, and never start with a dash (they are typed as command arguments)', () => {
    const ids = Array.from({ length: 5_000 }, () => newTokenId());
    expect(new Set(ids).size).toBe(5_000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});

describe('SQLite token store', () => {
  it('keeps tokens across a restart (0600 file, WAL)', async () => {
    const file = join(testdir(), 'state/approvals.db');
    const s1 = await openSqliteTokenStore(file);
    const t = s1.issue(binding, view)!;
    s1.operate(t.id, 'approve', { scope: 'always' });
    s1.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    const s2 = await openSqliteTokenStore(file);
    expect(s2.get(t.id)).toMatchObject({ state: 'approved', resolution: { scope: 'always' } });
    expect(s2.consume(t.id, binding)).toMatchObject({ ok: true, record: { resolution: { action: 'consume', scope: 'always' } } });
    // the next issue continues the sequence
    expect(s2.issue(binding, view)?.seq).toBe(t.seq + 1);
    s2.close();
  });

  it('two connections consuming one approved token: exactly one wins', async () => {
    const file = join(testdir(), 'approvals.db');
    const a = await openSqliteTokenStore(file);
    const b = await openSqliteTokenStore(file);
    const t = a.issue(binding, view)!;
    a.operate(t.id, 'approve');
    const results = [a, b, a, b].map((s) => s.consume(t.id, binding).ok);
    expect(results.filter(Boolean)).toHaveLength(1);
    a.close();
    b.close();
  });
});

describe('request fingerprint', () => {
  const policy = compilePolicy({
    config: { tools: { exec: { host: 'gateway', security: 'allowlist', ask: 'on-miss' } } },
    approvals: { status: 'missing', path: '/none' },
    sandbox: { backend: 'bwrap', available: true, reason: '' },
  });
  const fp = (req: { command?: string; argv?: string[]; cwd?: string; agentId?: string | null; host?: 'gateway' | 'node' }) => {
    const cwd = req.cwd ?? '/tmp';
    const d = policy.decide({ ...req, cwd });
    return requestFingerprint({ decision: d, command: req.command, argv: req.argv, cwd });
  };

  it('is the same for the same command as a string or as argv, and differs on anything that matters', () => {
    const base = fp({ argv: ['rm', '-rf', '/tmp/x'] });
    expect(fp({ command: 'rm -rf /tmp/x' })).toBe(base);
    expect(fp({ command: "rm -rf '/tmp/x'" })).toBe(base);
    expect(fp({ argv: ['/usr/bin/rm', '-rf', '/tmp/x'] })).not.toBe(base); // another argv[0], same binary: what runs differs in argv
    expect(fp({ argv: ['rm', '-rf', '/tmp/y'] })).not.toBe(base);
    expect(fp({ argv: ['rm', '-rf', '/tmp/x'], cwd: '/' })).not.toBe(base);
    expect(fp({ argv: ['rm', '-rf', '/tmp/x'], agentId: 'main' })).not.toBe(base);
    expect(fp({ argv: ['rm', '-rf', '/tmp/x'], host: 'node' })).not.toBe(base);
    expect(fp({ command: 'rm -rf /tmp/x && ls' })).not.toBe(fp({ command: 'rm -rf /tmp/x || ls' }));
  });
});
