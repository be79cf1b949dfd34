import { describe, expect, it } from 'vitest';
import { AllowlistMatcher } from '../src/allowlist/matcher.js';
import { compilePattern, matchPattern, patternError } from '../src/allowlist/pattern.js';

const HOME = '/home/u';

describe('allowlist patterns', () => {
  it.each<[string, string, boolean]>([
    ['/usr/bin/git', '/usr/bin/git', true],
    ['/usr/bin/git', '/usr/bin/gitk', false],
    ['/usr/bin/git', '/usr/bin/Git', false],
    ['/usr/bin/*', '/usr/bin/ls', true],
    ['/usr/bin/*', '/usr/bin/sub/ls', false],
    ['/usr/bin/py*', '/usr/bin/python3.11', true],
    ['/usr/bin/py*', '/usr/bin/perl', false],
    ['/usr/bin/l?', '/usr/bin/ls', true],
    ['/usr/bin/l?', '/usr/bin/lsx', false],
    ['/usr/bin/l?', '/usr/bin/l/', false],
    ['/opt/**', '/opt/a/b/c', true],
    ['/opt/**/bin/rg', '/opt/bin/rg', true],
    ['/opt/**/bin/rg', '/opt/x/y/bin/rg', true],
    ['/opt/**/bin/rg', '/opt/x/y/bin/rgx', false],
    ['**/rg', '/anywhere/deep/rg', true],
    ['**/rg', '/anywhere/deep/xrg', false],
    ['~/Projects/**/bin/rg', '/home/u/Projects/x/bin/rg', true],
    ['~/Projects/**/bin/rg', '/home/v/Projects/x/bin/rg', false],
    ['/usr/bin/a.b', '/usr/bin/aXb', false],
    ['/usr/bin/a+b', '/usr/bin/a+b', true],
    ['/usr/bin/(x)', '/usr/bin/(x)', true],
    ['/usr/bin/[ab]', '/usr/bin/a', false],
    ['/usr/bin/[ab]', '/usr/bin/[ab]', true],
  ])('%s vs %s → %s', (pattern, path, expected) => {
    expect(matchPattern(compilePattern(pattern, HOME), path)).toBe(expected);
  });

  it.each<[string, RegExp]>([
    ['git', /has no "\/"/],
    ['', /empty/],
    ['~user/bin/x', /only "~\/"/],
    ['bin/rg', /relative/],
    ['/usr/bin/\u0007', /control/],
  ])('%j is rejected at load time', (pattern, message) => {
    expect(patternError(pattern)).toMatch(message);
    expect(() => compilePattern(pattern, HOME)).toThrow(message);
  });
});

describe('AllowlistMatcher', () => {
  const patterns = ['/usr/bin/git', '/usr/bin/py*', '**/rg', '/usr/bin/python3.11', '/opt/**'].map((p, i) => compilePattern(p, HOME, i));
  const m = new AllowlistMatcher(patterns);

  it.each<[string, string | undefined]>([
    ['/usr/bin/git', '/usr/bin/git'],
    ['/usr/bin/python3.11', '/usr/bin/py*'],
    ['/x/rg', '**/rg'],
    ['/opt/y/rg', '**/rg'],
    ['/opt/y/z', '/opt/**'],
    ['/usr/bin/ls', undefined],
  ])('%s → first match %s', (path, expected) => {
    expect(m.match(path)?.source).toBe(expected);
    // memoised answer is the same
    expect(m.match(path)?.source).toBe(expected);
  });

  it('agrees with a naive scan over 1,000 patterns', () => {
    const many = Array.from({ length: 1000 }, (_, i) => {
      const kind = i % 4;
      const p = kind === 0 ? `/opt/tool${i}/bin/run` : kind === 1 ? `/opt/tool${i}/*/x` : kind === 2 ? `/srv/**/t${i}` : `/usr/lib/t${i % 50}?`;
      return compilePattern(p, HOME, i);
    });
    const matcher = new AllowlistMatcher(many);
    const paths = ['/opt/tool8/bin/run', '/opt/tool9/a/x', '/srv/a/b/t10', '/usr/lib/t31', '/usr/lib/t3', '/usr/lib/t3x', '/nothing', '/opt/tool9/a/b/x'];
    for (const p of paths) {
      const naive = many.find((c) => matchPattern(c, p));
      expect(matcher.match(p)?.source, p).toBe(naive?.source);
    }
  });
});
