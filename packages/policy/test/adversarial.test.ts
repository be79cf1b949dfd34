/**
 * The adversarial corpus (fixtures/adversarial-corpus.yaml) and property tests: no input crashes the
 * policy, and nothing a shell would interpret beyond the grammar is ever allowed.
 */
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { suitedir } from '../../../test/support/tmp.js';
import { compilePolicy, type DecisionRequest } from '../src/decide.js';
import { DEFAULT_POLICY_PATH } from '../src/executables/resolve.js';

interface Case {
  cmd?: string;
  argv?: string[];
  repeat?: { prefix: string; unit: string; count: number };
  cwd?: string;
  expect: 'allow' | 'deny';
  why?: string;
}

const ALLOWED = ['ls', 'cat', 'echo', 'git', 'grep', 'head', 'wc', 'true'].map((b) => `/usr/bin/${b}`);

function corpusPolicy() {
  return compilePolicy({
    config: { tools: { exec: { host: 'gateway', security: 'allowlist', ask: 'off', path: DEFAULT_POLICY_PATH } } },
    approvals: { status: 'ok', path: '/corpus', file: { version: 1, agents: { '*': { allowlist: ALLOWED.map((pattern) => ({ pattern })) } } } },
    sandbox: { backend: 'bwrap', available: true, reason: 'corpus' },
  });
}

describe('adversarial corpus', () => {
  const fix = suitedir();
  symlinkSync('/usr/bin/rm', join(fix, 'ls'));
  symlinkSync('/usr/bin/git', join(fix, 'git'));
  symlinkSync('/usr/bin/rm', join(fix, 'ｌs'));
  symlinkSync('/usr/bin/bash', join(fix, 'bash-link'));
  symlinkSync('/usr/bin/rm', join(fix, 'timeout'));
  copyFileSync('/usr/bin/true', join(fix, 'sudo'));
  const sub = (s: string) => s.replaceAll('@FIX@', fix);

  const corpus = parse(readFileSync(join(import.meta.dirname, 'fixtures/adversarial-corpus.yaml'), 'utf8')) as { cases: Case[] };
  const policy = corpusPolicy();

  it('has at least 150 cases, with positive controls', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(150);
    expect(corpus.cases.filter((c) => c.expect === 'allow').length).toBeGreaterThanOrEqual(20);
  });

  const label = (c: Case) => {
    const text = c.cmd ?? (c.argv ? JSON.stringify(c.argv) : `${c.repeat?.prefix}${c.repeat?.unit}×${c.repeat?.count}`);
    return `${c.expect} ${JSON.stringify(text).slice(0, 80)}${c.why ? ` (${c.why})` : ''}`;
  };

  it.each(corpus.cases.map((c) => [label(c), c] as const))('%s', (_l, c) => {
    const req: DecisionRequest = { cwd: c.cwd ? sub(c.cwd) : '/' };
    if (c.cmd !== undefined) req.command = sub(c.cmd);
    else if (c.argv) req.argv = c.argv.map(sub);
    else if (c.repeat) req.command = c.repeat.prefix + c.repeat.unit.repeat(c.repeat.count);
    const d = policy.decide(req);
    expect(d.decision, JSON.stringify(d.reasons).slice(0, 500)).toBe(c.expect);
  });
});

/** An independent oracle: does the text contain shell syntax beyond words, quotes and `&& || ; |`? */
function hasForbiddenSyntax(text: string): boolean {
  let i = 0;
  let atWordStart = true;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\\') {
      if (i + 1 >= text.length) return true;
      i += 2;
      atWordStart = false;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return true;
      i = end + 1;
      atWordStart = false;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') j++;
        else if (text[j] === '$' || text[j] === '`') return true;
        j++;
      }
      if (j >= text.length) return true;
      i = j + 1;
      atWordStart = false;
      continue;
    }
    if (c === '#' && atWordStart) return false; // the rest is a comment
    if ('$`<>(){}*?[\n\r'.includes(c)) return true;
    if (c === '&') {
      if (text[i + 1] !== '&') return true;
      i += 2;
      atWordStart = true;
      continue;
    }
    if (c === '|' && text[i + 1] === '&') return true;
    atWordStart = c === ' ' || c === '\t' || c === ';' || c === '|';
    i++;
  }
  return false;
}

describe('property tests', () => {
  const policy = corpusPolicy();
  const fullPolicy = compilePolicy({
    config: { tools: { exec: { host: 'gateway', security: 'allowlist', ask: 'off' } } },
    approvals: { status: 'ok', path: '/p', file: { version: 1, agents: { '*': { allowlist: [{ pattern: '/usr/bin/*' }, { pattern: '/bin/*' }] } } } },
    sandbox: { backend: 'bwrap', available: true, reason: 'p' },
  });

  const fragments = fc.constantFrom(
    'ls',
    'echo',
    'cat',
    'git',
    'rm',
    ' ',
    ' ',
    '  ',
    '\t',
    '-la',
    'x',
    "'",
    '"',
    '\\',
    '$',
    '$(',
    ')',
    '`',
    '${',
    '}',
    '{',
    '(',
    '<',
    '>',
    '>>',
    '2>&1',
    '&',
    '&&',
    '|',
    '||',
    '|&',
    ';',
    ';;',
    '\n',
    '\r',
    '#',
    '*',
    '?',
    '[',
    ']',
    '~',
    '!',
    '=',
    'A=1',
    'sh -c ',
    'bash -c ',
    'env ',
    'timeout 5 ',
    'sudo ',
    '\u0000',
    '\u202e',
    '\u200b',
    'é',
    '日',
    '\u0007',
    "'a b'",
    '"c d"',
    '\\$',
    '\\"',
    '/usr/bin/ls',
    './ls',
    '../',
    '%',
    '@',
    ',',
    '+',
  );
  const commandText = fc.array(fragments, { maxLength: 24 }).map((parts) => parts.join(''));

  it('random input never crashes and always decides', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), commandText), (text) => {
        const d = policy.decide({ command: text, cwd: '/' });
        expect(['allow', 'deny', 'ask']).toContain(d.decision);
        const a = policy.decide({ argv: [text, text], cwd: '/' });
        expect(['allow', 'deny', 'ask']).toContain(a.decision);
      }),
      { numRuns: 3000 },
    );
  });

  it('never allows a command with an unquoted substitution, redirect or separator outside the grammar', () => {
    fc.assert(
      fc.property(commandText, (text) => {
        for (const p of [policy, fullPolicy]) {
          const d = p.decide({ command: text, cwd: '/' });
          if (d.decision === 'allow') expect(hasForbiddenSyntax(text), JSON.stringify(text)).toBe(false);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('inserting forbidden syntax into an allowed command makes it not allowed', () => {
    const dangerous = fc.constantFrom(
      '$(rm -rf /)',
      '`rm`',
      '$HOME',
      '${x}',
      '> /etc/passwd',
      '< /etc/shadow',
      '2>&1',
      '&',
      '|&',
      ';;',
      '\n',
      '\r',
      '$((1))',
      '<(ls)',
      '>(ls)',
      '(ls)',
      '{ ls; }',
      '*',
      '?',
      '[a]',
    );
    const base = fc.constantFrom('ls -la', 'echo hello', 'git status', 'cat /etc/hostname', 'ls | wc -l', 'ls && echo ok');
    fc.assert(
      fc.property(base, dangerous, fc.nat(), (b, bad, at) => {
        // insert at a word boundary so the dangerous text is unquoted
        const words = b.split(' ');
        const pos = at % (words.length + 1);
        const text = [...words.slice(0, pos), bad, ...words.slice(pos)].join(' ');
        expect(policy.decide({ command: text, cwd: '/' }).decision).not.toBe('allow');
      }),
      { numRuns: 2000 },
    );
  });

  it('the oracle agrees with the corpus controls', () => {
    expect(hasForbiddenSyntax('ls -la && echo "x"')).toBe(false);
    expect(hasForbiddenSyntax('ls $(x)')).toBe(true);
    expect(hasForbiddenSyntax("echo '$(x)'")).toBe(false);
    expect(hasForbiddenSyntax('echo "$(x)"')).toBe(true);
  });
});
