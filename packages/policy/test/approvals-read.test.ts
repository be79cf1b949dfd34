import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { readApprovalsFile } from '../src/approvals/read.js';
import { compilePolicy } from '../src/decide.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/openclaw');

/** An approvals file in a 0700 directory with the given mode. */
function approvalsAt(content: string, mode = 0o600) {
  const dir = testdir();
  const file = join(dir, 'exec-approvals.json');
  writeFileSync(file, content);
  chmodSync(file, mode);
  return { dir, file };
}

const valid = JSON.stringify({ version: 1, defaults: { security: 'allowlist' }, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } });

describe('approvals file: fail closed', () => {
  it('a missing file means defaults', async () => {
    expect(await readApprovalsFile(join(testdir(), 'exec-approvals.json'))).toMatchObject({ status: 'missing' });
  });

  it('a valid file loads', async () => {
    const { file } = approvalsAt(valid);
    const r = await readApprovalsFile(file);
    expect(r.status).toBe('ok');
  });

  it.each<[string, (f: { dir: string; file: string }) => void, RegExp]>([
    ['corrupt JSON', ({ file }) => writeFileSync(file, '{"version": 1, '), /not valid JSON/],
    ['not an object', ({ file }) => writeFileSync(file, '[1,2]'), /not a JSON object/],
    ['no version', ({ file }) => writeFileSync(file, '{}'), /has no "version"/],
    ['unknown version', ({ file }) => writeFileSync(file, '{"version": 2}'), /version 2; this openclaw reads version 1/],
    ['bad enum', ({ file }) => writeFileSync(file, '{"version": 1, "defaults": {"security": "yolo"}}'), /defaults.security/],
    [
      'pattern without a slash',
      ({ file }) => writeFileSync(file, '{"version": 1, "agents": {"main": {"allowlist": [{"pattern": "git"}]}}}'),
      /agents.main.allowlist\[0\]: pattern "git" has no "\/"/,
    ],
    ['group-readable', ({ file }) => chmodSync(file, 0o640), /permissions 0640/],
    ['world-writable', ({ file }) => chmodSync(file, 0o666), /permissions 0666/],
    ['directory writable by others', ({ dir }) => chmodSync(dir, 0o777), /writable by others/],
    ['owned by another user', ({ file }) => chownSync(file, 65534, 65534), /owned by uid 65534/],
    [
      'a symlink',
      ({ dir, file }) => {
        const real = join(dir, 'real.json');
        copyFileSync(file, real);
        chmodSync(real, 0o600);
        rmSync(file);
        symlinkSync(real, file);
      },
      /is a symlink/,
    ],
    [
      'a directory',
      ({ file }) => {
        rmSync(file);
        mkdirSync(file);
      },
      /not a regular file/,
    ],
  ])('%s → invalid, with a fix, file untouched', async (_name, breakIt, reason) => {
    const f = approvalsAt(valid);
    breakIt(f);
    const before = statSync(f.file, { throwIfNoEntry: false });
    const beforeText = before?.isFile() ? readFileSync(f.file) : undefined;
    const r = await readApprovalsFile(f.file);
    expect(r.status).toBe('invalid');
    if (r.status === 'invalid') {
      expect(r.error.code).toBe('approvals_file_invalid');
      expect(r.error.reason).toMatch(reason);
      expect(r.error.hint?.length).toBeGreaterThan(5);
    }
    if (beforeText) expect(readFileSync(f.file)).toEqual(beforeText);
    // and every decision is then a deny
    const p = compilePolicy({
      config: { tools: { exec: { host: 'gateway', security: 'full' } } },
      approvals: r,
      sandbox: { backend: 'bwrap', available: true, reason: '' },
    });
    expect(p.decide({ argv: ['ls'] }).decision).toBe('deny');
  });

  it('an unreadable file (another user reading it) is invalid', async () => {
    // As root every file is readable; read as `nobody` through a child process instead.
    const { execFileSync } = await import('node:child_process');
    const dir = testdir();
    chmodSync(dir, 0o755);
    const file = join(dir, 'exec-approvals.json');
    writeFileSync(file, valid);
    // Owned by nobody with no permissions at all: ownership and mode checks pass, the read fails.
    chownSync(file, 65534, 65534);
    chmodSync(file, 0o000);
    const script = `import('${join(import.meta.dirname, '../src/approvals/read.ts')}').then(async m => console.log(JSON.stringify(await m.readApprovalsFile(${JSON.stringify(file)}))))`;
    let out: string;
    try {
      out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '-e', script], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..'),
      });
    } catch (e) {
      throw new Error(`could not run the reader as nobody: ${(e as Error).message}`);
    }
    const r = JSON.parse(out);
    expect(r.status).toBe('invalid');
    expect(r.error.reason).toMatch(/cannot be read \(EACCES\)/);
  });
});

describe('approvals file: OpenClaw interop fixtures', () => {
  it.each(['exec-approvals.as-written.json', 'exec-approvals.as-read-back.json'])('%s loads and keeps unknown fields', async (name) => {
    const dir = testdir();
    const file = join(dir, 'exec-approvals.json');
    copyFileSync(join(FIXTURES, name), file);
    chmodSync(file, 0o600);
    const r = await readApprovalsFile(file);
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    expect(r.file.defaults?.security).toBe('allowlist');
    expect((r.file.defaults as Record<string, unknown>).autoAllowSkills).toBe(false);
    expect(r.file.agents?.main?.allowlist?.map((e) => e.pattern)).toEqual(['~/Projects/**/bin/rg', '/usr/bin/ls']);
    expect((r.file.agents?.main?.allowlist?.[1] as Record<string, unknown> | undefined)?.source).toBe('allow-always');
    // the policy built from it applies main's ask: always
    const p = compilePolicy({
      config: { tools: { exec: { host: 'gateway', security: 'allowlist', ask: 'on-miss' } } },
      approvals: r,
      sandbox: { backend: 'bwrap', available: true, reason: '' },
    });
    expect(p.effective('main').ask).toBe('always');
    expect(p.effective('main').sources.ask).toBe('approvals:agents.main.ask');
  });
});
