/**
 * The whole story on a host built for real in a network namespace (fix-ssh-netns.mjs): the REAL
 * sshd listening on 0.0.0.0:22 and [::]:22 (or ssh.socket's *:22), `openclaw doctor` failing with
 * the fix named, a `fix-ssh` that fails after its last step and puts everything back — files
 * byte-identical, the real sshd listening where it was — then `fix-ssh` leaving sshd only on the
 * tailnet address as the real `ss` shows it. systemctl and tailscale are stubs (no systemd as
 * PID 1, no tailscaled here); sshd, ss and ip are real.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshHome, ROOT } from './run-cli.js';

const isRoot = process.getuid?.() === 0;

function vps(scenario: 'sshd' | 'socket') {
  const dir = freshHome();
  const out = execFileSync('unshare', ['--net', process.execPath, join(ROOT, 'test/fix-ssh-netns.mjs'), join(dir, 'root'), join(dir, 'state'), scenario], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out);
}

const listeners = (ss: string) =>
  ss
    .trim()
    .split('\n')
    .map((l) => {
      const t = l.trim().split(/\s+/);
      return `${t[3]} ${l.match(/\(\("([^"]+)"/)?.[1]}`;
    })
    .sort();

describe.skipIf(!isRoot)(
  'a VPS in a network namespace: doctor fails, fix-ssh rolls back, then locks sshd to the tailnet (needs root; stub systemctl and tailscale)',
  () => {
    it('sshd on 0.0.0.0:22 and [::]:22 (Debian defaults)', () => {
      const o = vps('sshd');
      expect(o.error).toBeUndefined();
      expect(listeners(o.ssBefore)).toEqual(['0.0.0.0:22 sshd', '[::]:22 sshd']);
      expect(o.doctorBefore.code).toBe(3);
      expect(o.doctorBefore.stdout).toMatch(/sshd is reachable from the internet/);
      expect(o.doctorBefore.stdout).toMatch(/sudo openclaw fix-ssh/);
      expect(JSON.parse(o.doctorBeforeJson.stdout)).toMatchObject({ ok: false, sshd_public: true, checks: [{ id: 'ports.public', status: 'fail' }] });

      const failed = JSON.parse(o.failed.stdout);
      expect(o.failed.code).toBe(1);
      expect(failed).toMatchObject({ ok: false, rolled_back: true, rollback_problems: [], changed_files: [] });
      expect(failed.rollback_systemctl).toEqual(['systemctl daemon-reload', 'systemctl restart ssh.service']);
      expect(o.rolledBackIdentical).toBe(true);
      expect(listeners(o.ssAfterRollback)).toEqual(['0.0.0.0:22 sshd', '[::]:22 sshd']);

      expect(o.fixed.code).toBe(0);
      expect(o.fixed.stdout).toMatch(/sshd now listens only on 100\.101\.102\.103/);
      expect(listeners(o.ssAfterFix)).toEqual(['100.101.102.103:22 sshd']);
      expect(JSON.parse(o.doctorAfterJson.stdout)).toMatchObject({ ok: true, sshd_public: false, checks: [{ id: 'ports.public', status: 'pass' }] });
    });

    it('ssh.socket holding *:22 (socket activation): masked, and ssh.service owns the port', () => {
      const o = vps('socket');
      expect(o.error).toBeUndefined();
      expect(listeners(o.ssBefore)).toEqual(['*:22 systemd']);
      expect(o.doctorBefore.code).toBe(3);
      expect(o.doctorBefore.stdout).toMatch(/ssh\.socket/);
      const failed = JSON.parse(o.failed.stdout);
      expect(failed.rollback_systemctl).toEqual([
        'systemctl unmask ssh.socket',
        'systemctl enable ssh.socket',
        'systemctl daemon-reload',
        'systemctl stop ssh.service',
        'systemctl start ssh.socket',
      ]);
      expect(o.rolledBackIdentical).toBe(true);
      expect(listeners(o.ssAfterRollback)).toEqual(['*:22 systemd']);
      expect(o.fixed.code).toBe(0);
      expect(listeners(o.ssAfterFix)).toEqual(['100.101.102.103:22 sshd']);
    });
  },
);
