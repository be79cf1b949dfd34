import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshHome, openclaw } from './run-cli.js';

describe('openclaw binary', () => {
  it('--version prints name, version, platform and node', () => {
    const r = openclaw(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^openclaw\/\d+\.\d+\.\d+ linux-x64 node-v\d+\.\d+\.\d+\n$/);
  });

  it('--version on the fast path matches oclif', () => {
    expect(openclaw(['--version']).stdout).toBe(openclaw(['--version'], { env: { OPENCLAW_NO_FAST_PATH: '1' } }).stdout);
  });

  it('help lists the topics', () => {
    const r = openclaw(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/policy\s+Decide which commands an agent may run/);
    expect(openclaw(['help', 'policy', 'check']).stdout).toMatch(/--command STRING \| -- ARGV/);
  });

  it('an unknown command is a usage error with a hint', () => {
    const r = openclaw(['polcy', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command `openclaw polcy check`\nhint: /);
  });

  it('an unknown flag is a usage error, one line and a hint, no stack', () => {
    const r = openclaw(['policy', 'check', '--bogus', '--', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: Nonexistent flag: --bogus\nhint: see `openclaw policy check --help`\n');
  });

  it('a bad enum value names the allowed values', () => {
    const r = openclaw(['policy', 'check', '--host', 'moon', '--', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/one of: sandbox, gateway, node/);
  });

  it('errors under --json are JSON on stdout', () => {
    const r = openclaw(['policy', 'check', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toEqual({ error: { code: 'usage', reason: 'no command to check', hint: expect.any(String) } });
  });

  it('stack traces only with OPENCLAW_DEBUG=1', () => {
    const home = freshHome();
    writeFileSync(join(home, 'openclaw.yaml'), 'tools: [');
    const quiet = openclaw(['policy', 'check', '--', 'ls'], { home });
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(quiet.stderr).toMatch(/^error: .*openclaw\.yaml:1:\d+: invalid YAML/);
  });

  it('completion scripts for bash, zsh and fish', () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = openclaw(['completion', shell]);
      expect(r.code, shell).toBe(0);
      expect(r.stdout, shell).toMatch(/policy/);
    }
    expect(openclaw(['completion', 'tcsh']).code).toBe(2);
  });

  it('bash completion completes topics, commands and flags', () => {
    const script = openclaw(['completion', 'bash']).stdout;
    const run = (words: string[]) => {
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      const cmd = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _openclaw; echo "\${COMPREPLY[*]}"`;
      return spawnSync('bash', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
    };
    expect(run(['openclaw', 'pol'])).toBe('policy');
    expect(run(['openclaw', 'policy', '']).split(' ').sort()).toEqual(['check', 'show']);
    expect(run(['openclaw', 'policy', 'check', '--se'])).toBe('--security');
  });
});

describe('openclaw policy check', () => {
  it('allows in the sandbox by default (exit 0)', () => {
    const r = openclaw(['policy', 'check', '--', 'ls', '-la']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ALLOW {2}ls -la\n/);
  });

  it('denies on the gateway with default security (exit 77), with the fix', () => {
    const r = openclaw(['policy', 'check', '--host', 'gateway', '--', 'ls']);
    expect(r.code).toBe(77);
    expect(r.stdout).toMatch(/DENY/);
    expect(r.stdout).toMatch(/hint: set tools\.exec\.security: allowlist/);
  });

  it('asks (exit 4) on an allowlist miss, allows a hit, both from real files', () => {
    const home = freshHome();
    writeFileSync(join(home, 'openclaw.yaml'), 'tools:\n  exec:\n    host: gateway\n    security: allowlist\n');
    writeFileSync(join(home, 'exec-approvals.json'), JSON.stringify({ version: 1, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } }));
    chmodSync(join(home, 'exec-approvals.json'), 0o600);
    chmodSync(home, 0o700);
    expect(openclaw(['policy', 'check', '--', 'ls'], { home }).code).toBe(0);
    const miss = openclaw(['policy', 'check', '--json', '--command', 'ls && rm -rf /tmp/x'], { home });
    expect(miss.code).toBe(4);
    const j = miss.json();
    expect(j).toMatchObject({ decision: 'ask', host: 'gateway', security: 'allowlist', ask: 'on-miss', askFallback: 'deny' });
    expect(j.segments).toEqual([
      expect.objectContaining({ argv: ['ls'], realPath: '/usr/bin/ls', matchedPattern: '/usr/bin/ls' }),
      expect.objectContaining({ argv: ['rm', '-rf', '/tmp/x'], realPath: '/usr/bin/rm', matchedPattern: null }),
    ]);
    expect(j.sources).toMatchObject({ host: 'config:tools.exec.host', security: 'config:tools.exec.security', ask: 'default' });
    expect(openclaw(['policy', 'check', '--unattended', '--', 'rm', 'x'], { home }).code).toBe(77);
  });

  it('an approvals file with open permissions denies everything, and is left alone', () => {
    const home = freshHome();
    chmodSync(home, 0o700);
    const file = join(home, 'exec-approvals.json');
    const text = JSON.stringify({ version: 1, defaults: { security: 'full' } });
    writeFileSync(file, text);
    chmodSync(file, 0o644);
    const r = openclaw(['policy', 'check', '--json', '--', 'ls'], { home });
    expect(r.code).toBe(77);
    expect(r.json().reasons[0]).toMatchObject({ code: 'approvals_file_invalid', hint: `chmod 600 ${file}` });
    expect(require('node:fs').readFileSync(file, 'utf8')).toBe(text);
  });

  it('a command over 64 KiB or with NUL is a deny, never a crash', () => {
    expect(openclaw(['policy', 'check', '--command', `echo ${'x'.repeat(70_000)}`]).code).toBe(77);
    expect(openclaw(['policy', 'check', '--json', '--', 'ls', 'a\u202eb']).json().reasons[0].message).toMatch(/bidirectional/);
  });

  it('requires the command after --', () => {
    const r = openclaw(['policy', 'check', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/after `--`/);
  });

  it('the fast path and the oclif path give the same results', () => {
    const cases = [
      ['policy', 'check', '--', 'ls'],
      ['policy', 'check', '--json', '--host', 'gateway', '--', 'ls'],
      ['policy', 'check', '--bogus'],
      ['policy', 'check', '--json'],
      ['policy', 'check', '--host', 'moon', '--', 'ls'],
      ['policy', 'check', '-c', 'ls $(id)', '--security', 'full', '--host', 'gateway'],
      ['policy', 'check', 'ls'],
      ['policy', 'check', '--env', 'LD_PRELOAD=x', '--host', 'gateway', '--security', 'full', '--', 'ls'],
      ['policy', 'check', '--agent', 'main', '--unattended', '--host', 'gateway', '--', 'ls'],
    ];
    const home = freshHome();
    for (const args of cases) {
      const fast = openclaw(args, { home });
      const slow = openclaw(args, { home, env: { OPENCLAW_NO_FAST_PATH: '1' } });
      expect({ code: fast.code, out: fast.stdout, err: fast.stderr }, args.join(' ')).toEqual({ code: slow.code, out: slow.stdout, err: slow.stderr });
    }
  });
});

describe('openclaw policy show, config validate, schema', () => {
  it('policy show --json has every field with its source', () => {
    const r = openclaw(['policy', 'show', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      host: 'sandbox',
      security: 'deny',
      ask: 'on-miss',
      askFallback: 'deny',
      sources: { host: 'default' },
      approvals: { status: 'missing' },
      config: { file: null, source: 'defaults' },
    });
  });

  it('config validate: valid (0), invalid with locations (3), missing file (2)', () => {
    const home = freshHome();
    writeFileSync(join(home, 'good.yaml'), 'tools:\n  exec:\n    host: gateway\n');
    writeFileSync(join(home, 'bad.yaml'), 'tools:\n  exec:\n    hots: gateway\n    ask: sometimes\n');
    expect(openclaw(['config', 'validate', 'good.yaml'], { home }).code).toBe(0);
    const bad = openclaw(['config', 'validate', 'bad.yaml'], { home });
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('bad.yaml:3:5: tools.exec.hots: unknown key "hots" (did you mean "host"?)');
    expect(bad.stdout).toContain('bad.yaml:4:10: tools.exec.ask: "sometimes" is not one of: off, on-miss, always');
    const j = openclaw(['config', 'validate', 'bad.yaml', '--json'], { home }).json();
    expect(j.valid).toBe(false);
    expect(j.issues).toHaveLength(2);
    expect(openclaw(['config', 'validate'], { home }).stdout).toMatch(/defaults apply/);
    // piped stdin is never taken for the missing FILE argument
    const piped = openclaw(['config', 'validate', '--json'], { home, input: 'bad.yaml\n' });
    expect(piped.json()).toEqual({ file: null, valid: true, issues: [] });
  });

  it('schema writes the JSON Schemas', () => {
    const home = freshHome();
    mkdirSync(join(home, 'out'));
    const r = openclaw(['schema', '--out', 'out', '--json'], { home });
    expect(r.code).toBe(0);
    expect(
      r
        .json()
        .files.map((f: string) => f.split('/').pop())
        .sort(),
    ).toEqual(['exec-approvals.schema.json', 'job_allowlist.schema.json', 'openclaw.schema.json', 'repo_allowlist.schema.json']);
  });
});
