import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exe, suitedir } from '../../../test/support/tmp.js';
import type { ApprovalsSnapshot } from '../src/approvals/read.js';
import type { ApprovalsFile } from '../src/approvals/schema.js';
import type { OpenclawConfig } from '../src/config/schema.js';
import { compilePolicy, type DecisionRequest } from '../src/decide.js';
import { resolveEffective } from '../src/resolve/effective.js';
import type { SandboxStatus } from '../src/sandbox/detect.js';

const SANDBOX_OK: SandboxStatus = { backend: 'bwrap', available: true, reason: 'test' };
const SANDBOX_DOWN: SandboxStatus = {
  backend: 'bwrap',
  available: false,
  reason: 'bubblewrap (bwrap) is not installed',
  hint: 'install it: sudo apt-get install bubblewrap',
};

/** A fake PATH: executables that only have to exist; `sneaky` is a symlink to `sudo`. */
function world() {
  const dir = suitedir({
    'bin/ls': exe(),
    'bin/git': exe(),
    'bin/rm': exe(),
    'bin/cat': exe(),
    'bin/sudo': exe(),
    'bin/python3.11': exe(),
    'bin/python3': { symlink: 'python3.11' },
    'bin/sneaky': { symlink: 'sudo' },
    'bin/notexec': 'plain file',
    'work/tool': exe(),
    'work/evil': { symlink: '../bin/rm' },
  });
  return { dir, bin: join(dir, 'bin'), work: join(dir, 'work') };
}

function approvals(file: Omit<ApprovalsFile, 'version'>): ApprovalsSnapshot {
  return { status: 'ok', path: '/test/exec-approvals.json', file: { version: 1, ...file } };
}

function policyFor(
  w: ReturnType<typeof world>,
  config: OpenclawConfig = {},
  appr: ApprovalsSnapshot = { status: 'missing', path: '/x' },
  sandbox = SANDBOX_OK,
) {
  const merged: OpenclawConfig = { ...config, tools: { ...config.tools, exec: { path: [w.bin], ...config.tools?.exec } } };
  return compilePolicy({ config: merged, approvals: appr, sandbox, home: w.dir });
}

describe('decide(): the decision table', () => {
  const w = world();
  const allowlisted = (bin: string) =>
    approvals({
      defaults: { security: 'allowlist', askFallback: 'deny' },
      agents: {
        '*': { allowlist: [{ pattern: `${bin}/ls` }] },
        main: { allowlist: [{ pattern: `${bin}/git`, id: 'g1' }, { pattern: `${bin}/python3*` }] },
      },
    });
  const gw = (tools: NonNullable<OpenclawConfig['tools']>['exec'] = {}): OpenclawConfig => ({
    tools: { exec: { host: 'gateway', security: 'allowlist', ...tools } },
  });

  type Case = [
    name: string,
    config: OpenclawConfig,
    appr: ApprovalsSnapshot | 'allowlisted',
    req: DecisionRequest,
    expected: 'allow' | 'deny' | 'ask',
    code?: string,
  ];
  const cases: Case[] = [
    // host sandbox
    ['sandbox allows in the sandbox', {}, { status: 'missing', path: '/x' }, { argv: ['ls'] }, 'allow', 'sandbox'],
    ['sandbox: ask always asks', { tools: { exec: { ask: 'always' } } }, { status: 'missing', path: '/x' }, { argv: ['ls'] }, 'ask', 'ask_always'],
    ['sandbox: unanalysable string is denied', {}, { status: 'missing', path: '/x' }, { command: 'ls $(id)' }, 'deny', 'analysis_failed'],
    [
      'sandbox: unanalysable string allowed at security full',
      { tools: { exec: { security: 'full' } } },
      { status: 'missing', path: '/x' },
      { command: 'ls | tee >(cat)' },
      'allow',
      'sandbox',
    ],
    [
      'sandbox: NUL denied even at security full',
      { tools: { exec: { security: 'full' } } },
      { status: 'missing', path: '/x' },
      { command: 'ls\0' },
      'deny',
      'analysis_failed',
    ],
    // gateway: security
    ['gateway default security deny', { tools: { exec: { host: 'gateway' } } }, { status: 'missing', path: '/x' }, { argv: ['ls'] }, 'deny', 'security_deny'],
    ['gateway security full', gw({ security: 'full' }), { status: 'missing', path: '/x' }, { argv: ['rm', '-rf', '/'] }, 'allow', 'security_full'],
    ['gateway full + ask always asks', gw({ security: 'full', ask: 'always' }), { status: 'missing', path: '/x' }, { argv: ['ls'] }, 'ask', 'ask_always'],
    ['approvals clamp full to deny', gw({ security: 'full' }), approvals({ defaults: { security: 'deny' } }), { argv: ['ls'] }, 'deny', 'security_deny'],
    // gateway: allowlist
    ['allowlist hit', gw(), 'allowlisted', { argv: ['ls', '-la'] }, 'allow', 'allowlist_hit'],
    ['allowlist miss asks (on-miss)', gw(), 'allowlisted', { argv: ['rm', 'x'] }, 'ask', 'allowlist_miss'],
    ['allowlist miss with ask off denies', gw({ ask: 'off' }), 'allowlisted', { argv: ['rm', 'x'] }, 'deny', 'allowlist_miss'],
    ['allowlist hit with ask always asks', gw({ ask: 'always' }), 'allowlisted', { argv: ['ls'] }, 'ask', 'ask_always'],
    ['agent list and * list both apply', gw(), 'allowlisted', { agentId: 'main', command: 'ls && git status' }, 'allow', 'allowlist_hit'],
    ['another agent does not get main list', gw(), 'allowlisted', { agentId: 'other', argv: ['git', 'status'] }, 'ask', 'allowlist_miss'],
    ['pattern matches the realpath of a symlink', gw(), 'allowlisted', { agentId: 'main', argv: ['python3', '-V'] }, 'allow', 'allowlist_hit'],
    ['one segment missing makes the whole a miss', gw(), 'allowlisted', { command: 'ls && rm -rf /' }, 'ask', 'allowlist_miss'],
    ['pipes are judged segment by segment', gw({ ask: 'off' }), 'allowlisted', { command: 'ls | cat' }, 'deny', 'allowlist_miss'],
    ['wrapped command is judged', gw({ ask: 'off' }), 'allowlisted', { argv: ['bash', '-c', 'ls; rm -rf /'] }, 'deny', 'allowlist_miss'],
    ['wrapped allowlisted command allowed', gw(), 'allowlisted', { argv: ['timeout', '5', 'ls'] }, 'allow', 'allowlist_hit'],
    ['sudo is always denied', gw(), 'allowlisted', { command: 'sudo ls' }, 'deny', 'always_denied'],
    ['a symlink to sudo is always denied', gw(), 'allowlisted', { argv: ['sneaky', 'ls'] }, 'deny', 'always_denied'],
    ['eval is always denied', gw(), 'allowlisted', { argv: ['eval', 'ls'] }, 'deny', 'always_denied'],
    ['unknown executable is a miss', gw(), 'allowlisted', { argv: ['nope'] }, 'ask', 'not_found'],
    ['non-executable file is a miss', gw(), 'allowlisted', { argv: ['notexec'] }, 'ask', 'not_found'],
    ['relative path resolves against cwd', gw({ ask: 'off' }), 'allowlisted', { argv: ['./evil'], cwd: w.work }, 'deny', 'allowlist_miss'],
    ['absolute path to allowlisted file', gw(), 'allowlisted', { argv: [join(w.bin, 'ls')] }, 'allow', 'allowlist_hit'],
    ['unanalysable string counts as a miss', gw(), 'allowlisted', { command: 'ls > /etc/passwd' }, 'deny', 'analysis_failed'],
    // no human
    ['no human, fallback deny', gw(), 'allowlisted', { argv: ['rm'], humanReachable: false }, 'deny', 'ask_fallback_deny'],
    [
      'no human, fallback allowlist, allowlisted (ask always)',
      gw({ ask: 'always', askFallback: 'allowlist' }),
      approvals({ defaults: { security: 'allowlist', askFallback: 'allowlist' }, agents: { '*': { allowlist: [{ pattern: `${w.bin}/ls` }] } } }),
      { argv: ['ls'], humanReachable: false },
      'allow',
      'ask_fallback_allowlist',
    ],
    [
      'no human, fallback allowlist, miss',
      gw({ askFallback: 'allowlist' }),
      approvals({ defaults: { security: 'allowlist', askFallback: 'allowlist' } }),
      { argv: ['rm'], humanReachable: false },
      'deny',
      'ask_fallback_allowlist_miss',
    ],
    [
      'no human, fallback full',
      gw({ askFallback: 'full' }),
      approvals({ defaults: { security: 'allowlist' } }),
      { argv: ['rm'], humanReachable: false },
      'allow',
      'ask_fallback_full',
    ],
    [
      'approvals tighten askFallback',
      gw({ askFallback: 'full' }),
      approvals({ defaults: { security: 'allowlist', askFallback: 'deny' } }),
      { argv: ['rm'], humanReachable: false },
      'deny',
      'ask_fallback_deny',
    ],
    // everywhere
    [
      'refused env key denies',
      gw({ security: 'full' }),
      { status: 'missing', path: '/x' },
      { argv: ['ls'], env: { LD_PRELOAD: '/tmp/x.so' } },
      'deny',
      'env_refused',
    ],
    [
      'invalid approvals deny everything (sandbox too)',
      {},
      { status: 'invalid', path: '/x', error: { code: 'approvals_file_invalid', reason: 'broken', hint: 'fix' } },
      { argv: ['ls'] },
      'deny',
      'approvals_file_invalid',
    ],
    [
      'invalid approvals deny at security full',
      gw({ security: 'full' }),
      { status: 'invalid', path: '/x', error: { code: 'approvals_file_invalid', reason: 'broken', hint: 'fix' } },
      { argv: ['ls'] },
      'deny',
      'approvals_file_invalid',
    ],
    [
      'request can only pick a mode the approvals allow',
      gw(),
      approvals({ defaults: { security: 'allowlist' } }),
      { argv: ['rm'], security: 'full', ask: 'off' },
      'deny',
      'allowlist_miss',
    ],
  ];

  it.each(cases)('%s', (_name, config, appr, req, expected, code) => {
    const p = policyFor(w, config, appr === 'allowlisted' ? allowlisted(w.bin) : appr);
    const d = p.decide(req);
    expect(d.decision, JSON.stringify(d.reasons)).toBe(expected);
    if (code) expect(d.reasons.map((r) => r.code)).toContain(code);
    if (d.decision !== 'allow') expect(d.reasons.length).toBeGreaterThan(0);
  });

  it('an unavailable sandbox is a deny with the reason and the fix', () => {
    const d = policyFor(w, {}, { status: 'missing', path: '/x' }, SANDBOX_DOWN).decide({ argv: ['ls'] });
    expect(d.decision).toBe('deny');
    expect(d.reasons[0]).toMatchObject({ code: 'sandbox_unavailable', hint: 'install it: sudo apt-get install bubblewrap' });
  });

  it('reports segments with resolved and real paths and the matched pattern', () => {
    const d = policyFor(w, gw(), allowlisted(w.bin)).decide({ agentId: 'main', command: 'python3 -V | cat' });
    expect(d.segments).toEqual([
      {
        argv: ['python3', '-V'],
        execArgv: ['python3', '-V'],
        wrappers: [],
        op: '|',
        resolvedPath: join(w.bin, 'python3'),
        realPath: join(w.bin, 'python3.11'),
        matchedPattern: `${w.bin}/python3*`,
      },
      { argv: ['cat'], execArgv: ['cat'], wrappers: [], op: null, resolvedPath: join(w.bin, 'cat'), realPath: join(w.bin, 'cat'), matchedPattern: null },
    ]);
    expect(d.decision).toBe('ask');
    expect(d.fallback?.decision).toBe('deny');
  });

  it('a miss says which pattern to add', () => {
    const d = policyFor(w, gw(), allowlisted(w.bin)).decide({ agentId: 'main', argv: ['rm', 'x'] });
    const miss = d.reasons.find((r) => r.code === 'allowlist_miss');
    expect(miss?.hint).toBe(`allow it with \`openclaw approvals allowlist add ${w.bin}/rm --agent main\``);
  });

  it('gives the child a minimal env with the policy PATH', () => {
    const d = policyFor(w, gw({ security: 'full' })).decide({ argv: ['ls'], env: { FOO: 'bar' } });
    expect(d.childEnv).toMatchObject({ PATH: w.bin, FOO: 'bar', HOME: w.dir });
    expect(Object.keys(d.childEnv ?? {}).sort()).toEqual(expect.arrayContaining(['FOO', 'HOME', 'LANG', 'PATH', 'TERM']));
  });

  it('never executes anything: deciding on `rm -rf` leaves files alone', () => {
    const d = policyFor(w, gw({ security: 'full' })).decide({ argv: ['rm', '-rf', w.dir] });
    expect(d.decision).toBe('allow');
    expect(existsSync(join(w.bin, 'ls'))).toBe(true);
  });
});

describe('resolveEffective(): precedence and the stricter-of merge', () => {
  const config: OpenclawConfig = {
    tools: { exec: { host: 'gateway', security: 'full', ask: 'off', askFallback: 'full', timeoutSec: 60 } },
    agents: { main: { tools: { exec: { security: 'allowlist', ask: 'on-miss' } } } },
  };
  const none: ApprovalsSnapshot = { status: 'missing', path: '/x' };

  it.each<[string, OpenclawConfig, ApprovalsSnapshot, string | null, object, Record<string, [string, string]>]>([
    [
      'defaults',
      {},
      none,
      null,
      {},
      { host: ['sandbox', 'default'], security: ['deny', 'default'], ask: ['on-miss', 'default'], askFallback: ['deny', 'default'] },
    ],
    [
      'global config',
      config,
      none,
      null,
      {},
      {
        host: ['gateway', 'config:tools.exec.host'],
        security: ['full', 'config:tools.exec.security'],
        ask: ['off', 'config:tools.exec.ask'],
        timeoutSec: ['60', 'config:tools.exec.timeoutSec'],
      },
    ],
    [
      'agent override beats global',
      config,
      none,
      'main',
      {},
      {
        security: ['allowlist', 'config:agents.main.tools.exec.security'],
        ask: ['on-miss', 'config:agents.main.tools.exec.ask'],
        host: ['gateway', 'config:tools.exec.host'],
      },
    ],
    ['tool parameter beats agent', config, none, 'main', { security: 'deny', host: 'node' }, { security: ['deny', 'request'], host: ['node', 'request'] }],
    [
      'approvals defaults tighten',
      config,
      approvals({ defaults: { security: 'allowlist', ask: 'always', askFallback: 'deny' } }),
      null,
      {},
      {
        security: ['allowlist', 'approvals:defaults.security'],
        ask: ['always', 'approvals:defaults.ask'],
        askFallback: ['deny', 'approvals:defaults.askFallback'],
      },
    ],
    [
      'approvals never loosen',
      { tools: { exec: { security: 'deny', ask: 'always' } } },
      approvals({ defaults: { security: 'full', ask: 'off' } }),
      null,
      {},
      { security: ['deny', 'config:tools.exec.security'], ask: ['always', 'config:tools.exec.ask'] },
    ],
    [
      'approvals agent beats "*" beats defaults',
      { ...config, agents: { main: { tools: { exec: { security: 'full' } } } } },
      approvals({ defaults: { security: 'deny' }, agents: { '*': { security: 'allowlist' }, main: { ask: 'always' } } }),
      'main',
      {},
      { security: ['allowlist', 'approvals:agents.*.security'], ask: ['always', 'approvals:agents.main.ask'] },
    ],
    [
      'an unset approvals field imposes nothing',
      config,
      approvals({ agents: { '*': { allowlist: [] } } }),
      null,
      {},
      { security: ['full', 'config:tools.exec.security'] },
    ],
  ])('%s', (_n, cfg, appr, agent, params, expected) => {
    const e = resolveEffective(cfg, appr, agent, params);
    for (const [field, [value, source]] of Object.entries(expected)) {
      expect(String((e as unknown as Record<string, unknown>)[field]), field).toBe(value);
      expect(e.sources[field as keyof typeof e.sources], field).toBe(source);
    }
  });
});
