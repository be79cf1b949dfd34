/** `openclaw doctor` and `openclaw fix-ssh` as a user runs them: the built binary, a fresh home. */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
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
      status: 'skip',
      detail: 'no ledger yet: nothing recorded (the store is created on first use)',
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

describe('openclaw doctor: the exec plane store and ledger', () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });
  const home = (config = '') => {
    const h = freshHome();
    homes.push(h);
    writeFileSync(join(h, 'openclaw.yaml'), `version: 1\ntools:\n  exec:\n    host: gateway\n    security: full\n${config}`);
    return h;
  };
  const doctor = (h: string, args: string[] = ['--json']) => openclaw(['doctor', '--only', 'ledger.integrity,store.reachable', ...args], { home: h });
  const statuses = (r: ReturnType<typeof doctor>) => r.json().checks.map((c: { id: string; status: string }) => `${c.id}=${c.status}`);

  it('a fresh home: no store yet, exit 0, and nothing is created', () => {
    const h = home();
    const r = doctor(h);
    expect(r.code).toBe(0);
    expect(statuses(r)).toEqual(['ledger.integrity=skip', 'store.reachable=pass']);
    expect(r.json().checks[1].detail).toBe(`no store yet: created on first use (${join(h, 'state/exec.db')})`);
    // This folder is HOME too: ~/.cache/openclaw holds the CLI's compile cache, which is not state.
    expect(readdirSync(h).filter((f) => f !== '.cache')).toEqual(['openclaw.yaml']);
    expect(readdirSync(join(h, '.cache'))).toEqual(['openclaw']);
    expect(r.stderr).toBe('');
  });

  it('after jobs: pass; a one-byte edit of a record: exit 3 naming it; a cut tail below a checkpoint: exit 3', () => {
    const h = home();
    for (let i = 0; i < 3; i++) expect(openclaw(['exec', 'run', '--', 'true'], { home: h }).code).toBe(0);
    const ok = doctor(h);
    expect(ok.code).toBe(0);
    expect(statuses(ok)).toEqual(['ledger.integrity=pass', 'store.reachable=pass']);
    expect(ok.json().checks[0].detail).toMatch(/^6 records, chain intact/);

    const cp = openclaw(['exec', 'ledger', 'checkpoint', '--json'], { home: h }).json();
    expect(doctor(h, []).stdout).toMatch(/^PASS +ledger\.integrity +6 records, chain intact .*; matches signed checkpoint #6$/m);

    const db = new DatabaseSync(join(h, 'state/exec.db'));
    db.exec(`UPDATE ledger SET body = replace(body, '"type":"exec.started"', '"type":"exec.startee"') WHERE seq = 3`);
    const edited = doctor(h, []);
    expect(edited.code).toBe(3);
    expect(edited.stdout).toMatch(/^FAIL +ledger\.integrity +record seq 3: its hash does not match its content \(the record was edited\)$/m);
    expect(edited.stdout).toMatch(/^PASS +store\.reachable /m);

    db.exec(`UPDATE ledger SET body = replace(body, '"type":"exec.startee"', '"type":"exec.started"') WHERE seq = 3`);
    db.exec('DELETE FROM ledger WHERE seq > 4');
    db.close();
    const cut = doctor(h);
    expect(cut.code).toBe(3);
    expect(cut.json().checks[0]).toMatchObject({
      status: 'fail',
      detail: 'the ledger ends at seq 4 but the checkpoint signed seq 6: records 5..6 were removed',
    });
    expect(cp.out).toBe(join(h, 'checkpoints/ledger-6.json'));
  });

  it('a Postgres store that is not running: store.reachable fails with the reason and the fix (exit 3)', () => {
    const r = doctor(home('exec:\n  store: postgres://nobody:pw@127.0.0.1:9/none\n'));
    expect(r.code).toBe(3);
    expect(statuses(r)).toEqual(['ledger.integrity=unknown', 'store.reachable=fail']);
    expect(r.json().checks[1]).toMatchObject({
      detail: 'postgres://nobody:***@127.0.0.1:9/none: connection refused (ECONNREFUSED 127.0.0.1:9): no Postgres server listens there',
      remediation: 'start the Postgres server, or point exec.store in openclaw.yaml at the right server',
    });
    expect(r.stdout).not.toContain(':pw@');
  });

  it('a Postgres server that never answers: unknown after the 1 s bound, and the process exits', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      // The kernel accepts the connection even while spawnSync blocks this process: nobody answers.
      const r = doctor(home(`exec:\n  store: postgres://u@127.0.0.1:${port}/db\n`));
      expect(r.code).toBe(0);
      expect(statuses(r)).toEqual(['ledger.integrity=unknown', 'store.reachable=unknown']);
      expect(r.json().checks[1].detail).toBe(`postgres://u@127.0.0.1:${port}/db: no answer within 1000 ms (the doctor's bound; the exec plane waits 5 s)`);
    } finally {
      silent.close();
    }
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
