/** `openclaw doctor` and `openclaw fix-ssh` as a user runs them: the built binary, a fresh home. */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, freshHome, openclaw, ROOT } from './run-cli.js';

const FIXTURES = join(ROOT, 'packages/doctor/test/fixtures/listeners');
const STUBS = join(ROOT, 'packages/fix-ssh/test/stubs');
const isRoot = process.getuid?.() === 0;

describe('openclaw doctor', () => {
  it('a fresh home: every check reports; exit 3 only if one failed; nothing unchecked passes', () => {
    const r = openclaw(['doctor', '--json']);
    const j = r.json();
    expect(r.code).toBe(j.checks.some((c: { status: string }) => c.status === 'fail') ? 3 : 0);
    expect(j.checks).toHaveLength(16);
    expect(j.summary.text).toMatch(/^\d+\/\d+ passed$/);
    expect(j.checks.find((c: { id: string }) => c.id === 'ledger.integrity')).toMatchObject({
      status: 'unknown',
      detail: 'exec plane not installed in this build',
    });
    expect(r.stderr).toBe('');
  });

  it('the human report: one line per check and the summary', () => {
    const r = openclaw(['doctor']);
    expect(r.stdout).toMatch(/^openclaw doctor · .* · 16 checks in \d+ ms\n/);
    expect(r.stdout).toMatch(/^(PASS|WARN|FAIL|UNKNOWN|SKIP) +ports\.public /m);
    expect(r.stdout).toMatch(/\n\d+\/\d+ passed/);
  });

  it('--ss-output with sshd on 0.0.0.0: exit 3 and the remediation box naming openclaw fix-ssh', () => {
    const r = openclaw(['doctor', '--only', 'ports.public', '--ss-output', join(FIXTURES, 'mixed-host.ss-tlnp.txt')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL +ports\.public +4 public: sshd on 0\.0\.0\.0:22, \[::\]:22/);
    expect(r.stdout).toMatch(/╭─ sshd is reachable from the internet/);
    expect(r.stdout).toMatch(/openclaw fix-ssh --dry-run/);
  });

  it('--ss-output - reads stdin; every format is detected', () => {
    for (const f of ['mixed-host.ss-H-tlnp.txt', 'mixed-host.ss-tulpn.txt', 'mixed-host.netstat-tlnp.txt', 'netns-host.lsof.txt']) {
      const r = openclaw(['doctor', '--only', 'ports', '--ss-output', '-', '--json'], { input: readFileSync(join(FIXTURES, f), 'utf8') });
      expect(r.code, f).toBe(3);
      expect(r.json().sshd_public, f).toBe(true);
    }
  });

  it('garbage input is a clear error with a hint (exit 1); a missing file is a usage error (exit 2)', () => {
    const home = freshHome();
    writeFileSync(join(home, 'notes.txt'), 'this is not ss output\n');
    const r = openclaw(['doctor', '--ss-output', 'notes.txt'], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: notes\.txt: line 1: not a listener capture .*\nhint: give the output of `ss -tlnp`/);
    const missing = openclaw(['doctor', '--ss-output', 'nope.txt', '--json'], { home });
    expect(missing.code).toBe(2);
    expect(missing.json().error.reason).toMatch(/--ss-output nope\.txt: no such file/);
  });

  it('--only with an unknown id: usage error listing the ids', () => {
    const r = openclaw(['doctor', '--only', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown check "nope"\nhint: checks: runtime\.versions, /);
  });

  it('--fix tightens permissions and reports each change', () => {
    const home = freshHome();
    chmodSync(home, 0o755);
    mkdirSync(join(home, 'secrets'));
    writeFileSync(join(home, 'secrets/openai'), 'sk-secret');
    chmodSync(join(home, 'secrets/openai'), 0o644);
    const before = openclaw(['doctor', '--only', 'state', '--json'], { home });
    expect(before.code).toBe(3);
    const r = openclaw(['doctor', '--only', 'state', '--fix'], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fixed .*secrets\/openai: 0644 → 0600/);
    expect(statSync(join(home, 'secrets/openai')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, 'secrets/openai'), 'utf8')).toBe('sk-secret');
  });
});

describe('openclaw fix-ssh', () => {
  it.skipIf(!isRoot)('without root and without a test root: refused, nothing read or changed (exit 1; run as nobody, so the test needs root)', () => {
    const home = freshHome();
    chmodSync(home, 0o755);
    const r = spawnAs(65534, [BIN, 'fix-ssh', '--json'], home);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { reason: 'preflight: fix-ssh changes /etc/ssh and systemd units: it must run as root' } });
  });

  it('a bad --ip is refused before anything else (exit 1)', () => {
    const home = freshHome();
    const root = join(home, 'root');
    mkdirSync(join(root, 'etc/ssh'), { recursive: true });
    copyFileSync(join(ROOT, 'packages/fix-ssh/test/fixtures/debian-bookworm/sshd_config'), join(root, 'etc/ssh/sshd_config'));
    const state = stubState(home);
    const r = openclaw(['fix-ssh', '--test-root', root, '--ip', '8.8.8.8'], { home, env: { PATH: `${STUBS}:${process.env.PATH}`, STUB_STATE: state } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error: tailscale\.address: 8\.8\.8\.8 \(--ip\) is outside Tailscale's 100\.64\.0\.0\/10/);
    expect(r.stdout).toMatch(/nothing was changed/);
  });

  it.skipIf(!isRoot)('--test-root needs no root: as nobody, on a Debian copy, real sshd in a user namespace (stub systemctl, tailscale, ip, ss)', () => {
    const home = freshHome();
    chmodSync(home, 0o755);
    const root = join(home, 'root');
    for (const d of ['etc/ssh/sshd_config.d', 'run', 'etc/systemd/system/multi-user.target.wants', 'etc/systemd/system/sockets.target.wants'])
      mkdirSync(join(root, d), { recursive: true });
    copyFileSync(join(ROOT, 'packages/fix-ssh/test/fixtures/debian-bookworm/sshd_config'), join(root, 'etc/ssh/sshd_config'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'etc/ssh/ssh_host_ed25519_key')]);
    symlinkSync('/lib/systemd/system/ssh.service', join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'));
    const state = stubState(home);
    execFileSync('chown', ['-R', '65534:65534', root, state]);
    const r = spawnAs(65534, [BIN, 'fix-ssh', '--test-root', root, '--json'], home, {
      PATH: `${STUBS}:${process.env.PATH}`,
      STUB_STATE: state,
      STUB_TS_IP: '100.101.102.103',
    });
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, ip: '100.101.102.103', rolled_back: false });
    expect(Object.keys(j).sort()).toEqual(
      [
        'backup_dir',
        'changed_files',
        'diagnostics',
        'diffs',
        'dry_run',
        'error',
        'ip',
        'ok',
        'rollback_problems',
        'rollback_systemctl',
        'rolled_back',
        'steps',
        'systemctl',
        'test_root',
      ].sort(),
    );
    expect(j.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toContain('sshd.effective:ok');
    expect(statSync(join(root, 'etc/ssh/sshd_config.d/00-openclaw-tailnet.conf')).uid).toBe(65534);
  });

  it('--dry-run prints the diffs and the systemctl commands, and changes nothing', () => {
    const home = freshHome();
    const root = join(home, 'root');
    mkdirSync(join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
    copyFileSync(join(ROOT, 'packages/fix-ssh/test/fixtures/debian-bookworm/sshd_config'), join(root, 'etc/ssh/sshd_config'));
    const state = stubState(home);
    const r = openclaw(['fix-ssh', '--test-root', root, '--dry-run', '--ip', '100.101.102.103'], {
      home,
      env: { PATH: `${STUBS}:${process.env.PATH}`, STUB_STATE: state, STUB_TS_IP: '100.101.102.103' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^--- \/dev\/null\n\+\+\+ b\/etc\/ssh\/sshd_config\.d\/00-openclaw-tailnet\.conf\n/m);
    expect(r.stdout).toMatch(/^\+ListenAddress 100\.101\.102\.103:22$/m);
    expect(r.stdout).toMatch(/would run:\n {2}systemctl daemon-reload\n {2}systemctl restart ssh\.service/);
    expect(r.stdout).toMatch(/dry run: nothing was changed/);
    expect(() => statSync(join(root, 'etc/ssh/sshd_config.d/00-openclaw-tailnet.conf'))).toThrow();
  });
});

function stubState(home: string): string {
  const state = join(home, 'stub-state');
  mkdirSync(join(state, 'units'), { recursive: true });
  mkdirSync(join(state, 'active'));
  writeFileSync(join(state, 'units/ssh.service'), 'multi-user.target');
  return state;
}

function spawnAs(uid: number, argv: string[], cwd: string, env: Record<string, string> = {}) {
  chownSync(cwd, uid, uid);
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  return spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...argv], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, OPENCLAW_HOME: join(cwd, '.openclaw'), NO_COLOR: '1', ...env },
  });
}
