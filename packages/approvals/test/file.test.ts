import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy, readApprovalsFile } from '@openclaw/policy';
import { describe, expect, it } from 'vitest';
import { suitedir, testdir } from '../../../test/support/tmp.js';
import { addAllowlistPattern, allowlistWarnings, removeAllowlistPattern } from '../src/file/allowlist.js';
import { ensureSocketToken, redactApprovals, replaceApprovalsFile, updateApprovalsFile } from '../src/file/write.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/openclaw');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

function approvalsIn(dir: string, content?: string, mode = 0o600): string {
  const file = join(dir, 'exec-approvals.json');
  if (content !== undefined) {
    writeFileSync(file, content);
    chmodSync(file, mode);
  }
  return file;
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('writing the approvals file', () => {
  it('creates the directory 0700 and the file 0600, leaving no temp file behind', async () => {
    const file = join(testdir(), 'home/.openclaw/exec-approvals.json');
    await addAllowlistPattern(file, '/usr/bin/git');
    expect(mode(join(file, '..'))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['exec-approvals.json', 'exec-approvals.json.lock']);
    const r = await readApprovalsFile(file);
    expect(r.status).toBe('ok');
  });

  it('keeps unknown fields and their order when it changes the file', async () => {
    const file = approvalsIn(
      testdir(),
      JSON.stringify({ version: 1, zeta: { keep: [1, 2] }, defaults: { ask: 'always', futureKnob: true }, agents: { main: { extra: 'x', allowlist: [] } } }),
    );
    await addAllowlistPattern(file, '/usr/bin/ls', 'main');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(data)).toEqual(['version', 'zeta', 'defaults', 'agents']);
    expect(data.zeta).toEqual({ keep: [1, 2] });
    expect(data.defaults).toEqual({ ask: 'always', futureKnob: true });
    expect(data.agents.main.extra).toBe('x');
    expect(data.agents.main.allowlist.map((e: { pattern: string }) => e.pattern)).toEqual(['/usr/bin/ls']);
  });

  it.each<[string, (dir: string, file: string) => void, RegExp]>([
    ['corrupt JSON', (_d, f) => writeFileSync(f, '{"version": 1,'), /not valid JSON/],
    ['unknown version', (_d, f) => writeFileSync(f, '{"version": 2}'), /version 2/],
    ['group-readable', (_d, f) => chmodSync(f, 0o640), /permissions 0640/],
    [
      'a symlink',
      (d, f) => {
        const real = join(d, 'real.json');
        copyFileSync(f, real);
        chmodSync(real, 0o600);
        rmSync(f);
        symlinkSync(real, f);
      },
      /is a symlink/,
    ],
    ['a directory others can write', (d) => chmodSync(d, 0o777), /writable by others/],
  ])('%s: every writer refuses and the file is untouched', async (_name, breakIt, reason) => {
    const dir = testdir();
    const file = approvalsIn(dir, JSON.stringify({ version: 1, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } }));
    breakIt(dir, file);
    const before = readFileSync(file);
    const beforeStat = statSync(file);
    await expect(addAllowlistPattern(file, '/usr/bin/git')).rejects.toMatchObject({ code: 'approvals_file_invalid', reason: expect.stringMatching(reason) });
    await expect(ensureSocketToken(file)).rejects.toMatchObject({ code: 'approvals_file_invalid' });
    expect(readFileSync(file)).toEqual(before);
    expect(statSync(file).mtimeMs).toBe(beforeStat.mtimeMs);
    // and the policy built from it denies everything
    const p = compilePolicy({
      config: { tools: { exec: { host: 'gateway', security: 'full' } } },
      approvals: await readApprovalsFile(file),
      sandbox: { backend: 'bwrap', available: true, reason: '' },
    });
    expect(p.decide({ argv: ['ls'] }).decision).toBe('deny');
  });

  it('set validates before it replaces: invalid content writes nothing', async () => {
    const file = approvalsIn(testdir(), JSON.stringify({ version: 1, defaults: { security: 'allowlist' } }));
    const before = readFileSync(file);
    for (const [text, reason] of [
      ['{"version": 1, "defaults": {"security": "yolo"}}', /defaults\.security/],
      ['{"version": 1, "agents": {"a": {"allowlist": [{"pattern": "git"}]}}}', /has no "\/"/],
      ['[]', /not a JSON object/],
      ['{"version": 3}', /version 3/],
    ] as const) {
      await expect(replaceApprovalsFile(file, text)).rejects.toMatchObject({ code: 'approvals_content_invalid', reason: expect.stringMatching(reason) });
      expect(readFileSync(file)).toEqual(before);
    }
  });

  it('set replaces a corrupt file (the explicit fix), keeping nothing of it but a readable token', async () => {
    const file = approvalsIn(testdir(), '{"version": 1, "socket": {"token": "old-token-0123456789"}, "defaults": {"security": "nope"}}');
    const r = await replaceApprovalsFile(file, '{"version": 1, "defaults": {"security": "deny"}}');
    expect(r.keptToken).toBe(true);
    const read = await readApprovalsFile(file);
    expect(read.status).toBe('ok');
    expect(read.status === 'ok' && read.file.socket?.token).toBe('old-token-0123456789');
    expect(read.status === 'ok' && read.file.defaults?.security).toBe('deny');
  });

  it('allowlist remove repairs a file made invalid by that entry, and only then', async () => {
    const bad = { version: 1, agents: { main: { allowlist: [{ pattern: 'git' }, { pattern: '/usr/bin/ls' }] } } };
    const file = approvalsIn(testdir(), JSON.stringify(bad));
    expect((await readApprovalsFile(file)).status).toBe('invalid');
    // removing something else leaves it invalid: refused, untouched
    const before = readFileSync(file);
    await expect(removeAllowlistPattern(file, '/usr/bin/ls', 'main')).rejects.toMatchObject({ code: 'approvals_content_invalid' });
    expect(readFileSync(file)).toEqual(before);
    await removeAllowlistPattern(file, 'git', 'main');
    const read = await readApprovalsFile(file);
    expect(read.status).toBe('ok');
    expect(read.status === 'ok' && read.file.agents?.main?.allowlist?.map((e) => e.pattern)).toEqual(['/usr/bin/ls']);
  });

  it('remove by pattern or id; a missing entry is an error', async () => {
    const file = approvalsIn(testdir());
    const a = await addAllowlistPattern(file, '/usr/bin/ls', 'main');
    await addAllowlistPattern(file, '/usr/bin/git', 'main');
    expect((await addAllowlistPattern(file, '/usr/bin/git', 'main')).added).toBe(false);
    await removeAllowlistPattern(file, a.entry?.id as string, 'main');
    await expect(removeAllowlistPattern(file, '/usr/bin/ls', 'main')).rejects.toMatchObject({ code: 'allowlist_entry_not_found' });
    await removeAllowlistPattern(file, '/usr/bin/git', 'main');
    const read = await readApprovalsFile(file);
    expect(read.status === 'ok' && read.file.agents?.main?.allowlist).toEqual([]);
  });

  it('rejects bad patterns and agent ids as usage errors', async () => {
    const file = approvalsIn(testdir());
    await expect(addAllowlistPattern(file, 'git')).rejects.toMatchObject({ code: 'invalid_pattern', exitCode: 2 });
    await expect(addAllowlistPattern(file, '/usr/bin/git', 'bad agent')).rejects.toMatchObject({ exitCode: 2 });
  });

  it('20 concurrent writers in one process lose nothing', async () => {
    const file = approvalsIn(testdir());
    await Promise.all(Array.from({ length: 20 }, (_, i) => addAllowlistPattern(file, `/opt/tool${i}/bin/run`, i % 2 ? 'main' : '*')));
    const read = await readApprovalsFile(file);
    if (read.status !== 'ok') throw new Error('not ok');
    const all = [...(read.file.agents?.main?.allowlist ?? []), ...(read.file.agents?.['*']?.allowlist ?? [])].map((e) => e.pattern).sort();
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => `/opt/tool${i}/bin/run`).sort());
  });

  it('an update that changes nothing does not write', async () => {
    const file = approvalsIn(testdir(), '{"version":1}');
    const before = statSync(file);
    const r = await updateApprovalsFile(file, () => undefined);
    expect(r.changed).toBe(false);
    expect(statSync(file).ino).toBe(before.ino);
  });
});

describe('the socket token', () => {
  it('is generated once (32 random bytes, base64), kept afterwards, and never shown by get', async () => {
    const file = approvalsIn(testdir());
    const first = await ensureSocketToken(file);
    expect(first.created).toBe(true);
    expect(Buffer.from(first.token, 'base64')).toHaveLength(32);
    const again = await ensureSocketToken(file);
    expect(again).toEqual({ token: first.token, created: false });
    const read = await readApprovalsFile(file);
    if (read.status !== 'ok') throw new Error('not ok');
    expect(JSON.stringify(redactApprovals(read.file))).not.toContain(first.token);
    expect(redactApprovals(read.file)).toEqual({ version: 1, socket: {} });
  });
});

describe('OpenClaw interop fixtures', () => {
  it('as written → set → read back: every field kept, ids added, token kept on disk but not shown', async () => {
    const file = approvalsIn(testdir());
    const r = await replaceApprovalsFile(file, fixture('exec-approvals.as-written.json'));
    expect(r.idsAdded).toBe(3);
    const read = await readApprovalsFile(file);
    if (read.status !== 'ok') throw new Error(`not ok: ${JSON.stringify(read)}`);
    expect(read.file.socket?.token).toBe('c2VjcmV0LXRva2VuLWZvci10ZXN0cy1vbmx5');
    // What `approvals get` shows has the shape OpenClaw reads back (ids are random, so compare without them).
    const shown = redactApprovals(read.file);
    const noIds = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'id' ? undefined : v)));
    expect(noIds(shown)).toEqual(noIds(JSON.parse(fixture('exec-approvals.as-read-back.json'))));
    for (const e of Object.values(shown.agents ?? {}).flatMap((a) => a.allowlist ?? [])) expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('as read back → set → get is identical, and the written file loads in the same shape', async () => {
    const file = approvalsIn(testdir());
    const original = JSON.parse(fixture('exec-approvals.as-read-back.json'));
    const r = await replaceApprovalsFile(file, fixture('exec-approvals.as-read-back.json'));
    expect(r.idsAdded).toBe(0);
    const read = await readApprovalsFile(file);
    if (read.status !== 'ok') throw new Error('not ok');
    expect(redactApprovals(read.file)).toEqual(original);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(original);
  });
});

describe('allowlist warnings', () => {
  const dir = suitedir({ 'bin/tool': { content: '#!/bin/sh\n', mode: 0o755 } });
  symlinkSync(join(dir, 'bin/tool'), join(dir, 'bin/link'));
  symlinkSync('/bin/sh', join(dir, 'bin/myshell'));
  mkdirSync(join(dir, 'empty'));

  it.each<[string, string[], string | undefined]>([
    [join(dir, 'bin/tool'), [], undefined],
    [join(dir, 'bin/link'), ['symlink'], join(dir, 'bin/tool')],
    [join(dir, 'bin/myshell'), ['symlink', 'shell'], undefined],
    ['/usr/bin/bash', ['shell'], undefined],
    ['/usr/bin/perl', ['interpreter'], undefined],
    ['/usr/bin/*', ['covers_interpreters'], undefined],
    ['/usr/**', ['covers_interpreters'], undefined],
    [`${join(dir, 'empty')}/*`, [], undefined],
    [join(dir, 'bin/missing'), ['not_found'], undefined],
  ])('%s → %j', (pattern, codes, suggestion) => {
    const w = allowlistWarnings(pattern);
    expect(w.map((x) => x.code)).toEqual(codes);
    if (suggestion) expect(w[0]?.suggestion).toBe(suggestion);
  });
});
