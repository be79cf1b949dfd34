import { chmodSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { buildChildEnv, envKeyRefusal } from '../src/env/sanitize.js';
import { OutputCapture, TRUNCATION_MARK } from '../src/output/cap.js';
import { resolveInsideRoot } from '../src/paths/sandbox.js';

describe('env sanitising', () => {
  it.each<[string, boolean]>([
    ['FOO', true],
    ['_x1', true],
    ['CI', true],
    ['GIT_AUTHOR_NAME', true],
    ['1FOO', false],
    ['FOO-BAR', false],
    ['FOO BAR', false],
    ['', false],
    ['PATH', false],
    ['HOME', false],
    ['LD_PRELOAD', false],
    ['LD_LIBRARY_PATH', false],
    ['DYLD_INSERT_LIBRARIES', false],
    ['BASH_FUNC_x%%', false],
    ['BASH_ENV', false],
    ['ENV', false],
    ['NODE_OPTIONS', false],
    ['PYTHONPATH', false],
    ['PERL5OPT', false],
    ['IFS', false],
    ['GLIBC_TUNABLES', false],
    ['GIT_SSH_COMMAND', false],
    ['GIT_CONFIG_PARAMETERS', false],
    ['GIT_EXEC_PATH', false],
    ['JAVA_TOOL_OPTIONS', false],
    ['OPENCLAW_HOME', false],
    ['PAGER', false],
  ])('%s allowed: %s', (key, allowed) => {
    expect(envKeyRefusal(key) === undefined).toBe(allowed);
  });

  it('starts children from a minimal env; secrets in the parent never pass', () => {
    const r = buildChildEnv(
      { FOO: 'bar' },
      { path: ['/usr/bin', '/bin'], home: '/home/u', parent: { OPENAI_API_KEY: 'sk-secret', LANG: 'en_US.UTF-8', TERM: 'xterm', AWS_SECRET_ACCESS_KEY: 'x' } },
    );
    expect(r).toEqual({ ok: true, env: { PATH: '/usr/bin:/bin', HOME: '/home/u', LANG: 'en_US.UTF-8', TERM: 'xterm', FOO: 'bar' } });
  });

  it('refuses every bad key, naming each', () => {
    const r = buildChildEnv({ LD_PRELOAD: '/x.so', PATH: '/tmp', GOOD: '1', 'A B': '2', V: 'a\0b' }, { path: ['/bin'], home: '/h', parent: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refused.map((x) => x.key).sort()).toEqual(['A B', 'LD_PRELOAD', 'PATH', 'V']);
  });
});

describe('path sandbox', () => {
  it('accepts paths inside and refuses every escape', () => {
    const outside = testdir({ 'secret.txt': 'x' });
    const root = testdir({ 'a/b.txt': 'b', 'a/c/d.txt': 'd' });
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out'));
    symlinkSync(join(root, 'a'), join(root, 'link-in'));
    symlinkSync(outside, join(root, 'dir-out'));
    const cases: [string, string | true][] = [
      ['a/b.txt', true],
      ['a/c/d.txt', true],
      ['a/new-file.txt', true],
      ['a/new-dir/new-file', true],
      ['link-in/b.txt', true],
      [join(root, 'a/b.txt'), true],
      ['.', true],
      ['../x', 'dot_dot'],
      ['a/../../x', 'dot_dot'],
      ['a/..', 'dot_dot'],
      ['/etc/passwd', 'outside_root'],
      [outside, 'outside_root'],
      ['link-out', 'symlink_escape'],
      ['dir-out/secret.txt', 'symlink_escape'],
      ['dir-out/new-file', 'symlink_escape'],
      ['a/b\0.txt', 'nul_byte'],
      ['', 'empty_path'],
    ];
    for (const [candidate, expected] of cases) {
      const r = resolveInsideRoot(root, candidate);
      if (expected === true) expect(r.ok, candidate).toBe(true);
      else expect(r.ok ? 'ok' : r.code, candidate).toBe(expected);
    }
  });

  it('refuses a root that does not exist', () => {
    expect(resolveInsideRoot('/nonexistent/root/x', 'a').ok).toBe(false);
  });

  it('a symlink loop is refused, not followed forever', () => {
    const root = testdir();
    mkdirSync(join(root, 'd'));
    symlinkSync(join(root, 'loop'), join(root, 'loop'));
    chmodSync(join(root, 'd'), 0o700);
    const r = resolveInsideRoot(root, 'loop/x');
    expect(r.ok).toBe(false);
  });
});

describe('output caps', () => {
  it('keeps everything under the cap', () => {
    const c = new OutputCapture(100, 10);
    c.push('stdout', 'hello ');
    c.push('stderr', 'oops');
    c.push('stdout', 'world');
    const r = c.result();
    expect(r).toMatchObject({ stdout: 'hello world', stderr: 'oops', stdout_bytes: 11, stderr_bytes: 4, stdout_truncated: false, stderr_truncated: false });
    expect(r.tail).toBe(' oopsworld');
  });

  it('caps the combined output, marks truncation and counts every byte', () => {
    const c = new OutputCapture(200_000, 20_000);
    const chunk = 'x'.repeat(10_000);
    for (let i = 0; i < 30; i++) c.push(i % 3 === 0 ? 'stderr' : 'stdout', chunk);
    c.push('stdout', 'THE-END');
    const r = c.result();
    const kept = r.stdout.replace(`\n${TRUNCATION_MARK}`, '').length + r.stderr.replace(`\n${TRUNCATION_MARK}`, '').length;
    expect(kept).toBe(200_000);
    expect(r.stdout.endsWith(TRUNCATION_MARK)).toBe(true);
    expect(r.stdout_truncated).toBe(true);
    expect(r.stdout_bytes + r.stderr_bytes).toBe(300_007);
    expect(r.tail.length).toBe(20_000);
    expect(r.tail.endsWith('THE-END')).toBe(true);
  });

  it('never splits a multi-byte character across chunks', () => {
    const c = new OutputCapture();
    const bytes = Buffer.from('é€😀');
    for (const b of bytes) c.push('stdout', Buffer.from([b]));
    expect(c.result().stdout).toBe('é€😀');
  });
});
