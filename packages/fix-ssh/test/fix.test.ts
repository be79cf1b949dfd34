/**
 * fix-ssh on a test root built from a real Debian sshd setup. systemctl, tailscale, ip and ss are
 * STUBS (no systemd as PID 1, no tailscaled here); sshd is the REAL OpenSSH server binary, run with
 * the test root's /etc/ssh and /run mounted in (so `sshd -t` and `sshd -T` judge the real files).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixSsh, STEP_IDS, type StepId } from '../src/fix.js';
import { MARKER } from '../src/sshd-config.js';
import { debianHost, type HostOptions, realSshdT, TAILNET_IP, type TestHost } from './host.js';

/** The real sshd runs in a mount namespace (see stubs/sshd): root, or unprivileged user namespaces. */
const canNamespace = spawnSync('unshare', [...(process.getuid?.() === 0 ? [] : ['--map-root-user']), '--mount', 'true'], { stdio: 'ignore' }).status === 0;

async function run(host: TestHost, extra: { ip?: string; dryRun?: boolean; failAfter?: StepId; env?: Record<string, string> } = {}) {
  const { env, ...rest } = extra;
  return fixSsh({ testRoot: host.root, env: { ...host.env, ...env }, verifyTimeoutMs: 1000, now: new Date('2026-01-02T03:04:05Z'), ...rest });
}

/** Runs fix-ssh expecting a failure, and checks nothing is left changed. */
async function expectRolledBack(host: TestHost, extra: Parameters<typeof run>[1], failedStep: StepId) {
  const hash = host.treeHash();
  const units = host.activeUnits();
  const r = await run(host, extra);
  expect(r.ok).toBe(false);
  expect(r.steps.find((s) => s.status === 'failed')?.id).toBe(failedStep);
  expect(r.rollback_problems).toEqual([]);
  expect(r.changed_files).toEqual([]);
  expect(host.treeHash()).toBe(hash);
  expect(host.activeUnits()).toEqual(units);
  return r;
}

const mutations = (host: TestHost) => host.systemctlLog().filter((l) => !/^(show|status|is-)/.test(l));

describe.skipIf(!canNamespace)(
  'fix-ssh on a Debian test root (stub systemctl/tailscale/ip/ss, real sshd; skipped only where mount namespaces are not allowed)',
  () => {
    describe('the steps', () => {
      it('ssh.socket enabled and listening (stub systemctl): disabled, stopped, masked; ssh.service owns :22', async () => {
        const host = debianHost({ socket: 'active' });
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(r.systemctl).toEqual([
          'systemctl disable ssh.socket',
          'systemctl stop ssh.socket',
          'systemctl mask ssh.socket',
          'systemctl daemon-reload',
          'systemctl restart ssh.service',
        ]);
        expect(host.exists('etc/systemd/system/sockets.target.wants/ssh.socket')).toBe(false);
        expect(host.exists('etc/systemd/system/ssh.socket')).toBe(true); // the mask: a link to /dev/null
        expect(host.activeUnits()).toEqual(['ssh.service']);
        expect(r.steps.find((s) => s.id === 'verify.listeners')?.detail).toBe(`ss: listening on ${TAILNET_IP}:22; nothing on 0.0.0.0, [::] or * for port 22`);
      });

      const ubuntuSocket: HostOptions = {
        socket: 'active',
        serviceEnabled: false,
        files: {
          'etc/systemd/system/ssh.service.d/00-socket.conf':
            '[Unit]\n# Socket activation\nRequires=ssh.socket\nAfter=network.target auditd.service ssh.socket\n',
          'etc/systemd/system/ssh.socket.d/addresses.conf': '[Socket]\nListenStream=\nListenStream=0.0.0.0:22\nListenStream=[::]:22\n',
        },
      };

      it('Ubuntu-style socket activation (stub systemctl refuses to start a service that Requires a masked unit): the dependency and the address overrides are taken out', async () => {
        const host = debianHost(ubuntuSocket);
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(host.read('etc/systemd/system/ssh.service.d/00-socket.conf')).toBe(
          `[Unit]\n# Socket activation\n${MARKER} Requires=ssh.socket\n${MARKER} After=network.target auditd.service ssh.socket\nAfter=network.target auditd.service\n`,
        );
        expect(host.read('etc/systemd/system/ssh.socket.d/addresses.conf')).toBe(
          `[Socket]\n${MARKER} ListenStream=\n${MARKER} ListenStream=0.0.0.0:22\n${MARKER} ListenStream=[::]:22\n`,
        );
        expect(r.steps.find((s) => s.id === 'ssh.socket')?.detail).toMatch(
          /commented out 3 ListenStream overrides, removed ssh\.socket from 2 ssh\.service dependency lines/,
        );
        expect(host.activeUnits()).toEqual(['ssh.service']);
      });

      it('Ubuntu-style socket activation: a failure after the restart puts every unit file back', async () => {
        await expectRolledBack(debianHost(ubuntuSocket), { failAfter: 'verify.listeners' }, 'verify.listeners');
      });

      it('ssh.socket present but unused (stub systemctl): left alone', async () => {
        const host = debianHost({ socket: 'disabled', serviceActive: true });
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(r.steps.find((s) => s.id === 'ssh.socket')).toMatchObject({ status: 'skipped', detail: 'ssh.socket is disabled, inactive: not in use' });
        expect(mutations(host)).toEqual(['daemon-reload', 'restart ssh.service']);
      });

      it('ssh.service not enabled while the socket did the work: enabled, so sshd still starts at boot', async () => {
        const host = debianHost({ socket: 'active', serviceEnabled: false });
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(r.systemctl).toContain('systemctl enable ssh.service');
        expect(host.exists('etc/systemd/system/multi-user.target.wants/ssh.service')).toBe(true);
      });

      it('writes the drop-in sshd reads first, the ordering drop-in, /run/sshd and a backup', async () => {
        const host = debianHost();
        const r = await run(host);
        expect(r.ok).toBe(true);
        const dropin = host.read('etc/ssh/sshd_config.d/00-openclaw-tailnet.conf');
        expect(dropin.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['AddressFamily inet', `ListenAddress ${TAILNET_IP}:22`]);
        expect(host.read('etc/systemd/system/ssh.service.d/10-openclaw-tailnet.conf')).toMatch(/^After=tailscaled\.service network-online\.target$/m);
        expect(host.exists('run/sshd')).toBe(true);
        expect(r.changed_files.sort()).toEqual([
          '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf',
          '/etc/systemd/system/ssh.service.d/',
          '/etc/systemd/system/ssh.service.d/10-openclaw-tailnet.conf',
          '/run/sshd/',
        ]);
        expect(r.backup_dir).toMatch(/^\/var\/backups\/openclaw-fix-ssh\/20260102T030405Z-\d+$/);
        expect(host.read(`${r.backup_dir?.slice(1)}/files/etc/ssh/sshd_config`)).toBe(host.read('etc/ssh/sshd_config'));
        // The real sshd now says it will listen only on the tailnet address.
        const t = realSshdT(host);
        expect(t.get('listenaddress')).toEqual([`${TAILNET_IP}:22`]);
        expect(t.get('addressfamily')).toEqual(['inet']);
      });

      it('authentication settings are never changed', async () => {
        const host = debianHost({ runSshd: true, files: { 'etc/ssh/sshd_config.d/60-auth.conf': 'PasswordAuthentication yes\nPermitRootLogin yes\n' } });
        const before = realSshdT(host);
        expect((await run(host)).ok).toBe(true);
        const after = realSshdT(host);
        for (const k of [
          'passwordauthentication',
          'permitrootlogin',
          'pubkeyauthentication',
          'kbdinteractiveauthentication',
          'usepam',
          'authenticationmethods',
        ])
          expect(after.get(k), k).toEqual(before.get(k));
        expect(host.read('etc/ssh/sshd_config.d/60-auth.conf')).toBe('PasswordAuthentication yes\nPermitRootLogin yes\n');
      });

      it('a second run changes nothing', async () => {
        const host = debianHost();
        expect((await run(host)).ok).toBe(true);
        const dropin = host.read('etc/ssh/sshd_config.d/00-openclaw-tailnet.conf');
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(r.diffs).toEqual([]);
        expect(r.changed_files).toEqual([]);
        expect(r.steps.find((s) => s.id === 'ssh.socket')).toMatchObject({ status: 'skipped', detail: 'ssh.socket is masked, inactive: not in use' });
        expect(r.steps.find((s) => s.id === 'sshd.neutralise')?.status).toBe('skipped');
        expect(host.read('etc/ssh/sshd_config.d/00-openclaw-tailnet.conf')).toBe(dropin);
      });
    });

    describe('real sshd -t / sshd -T on conflicting configurations', () => {
      const conflicting: HostOptions = {
        runSshd: true,
        mainConfig: `ListenAddress 0.0.0.0\nAddressFamily any\nInclude /etc/ssh/sshd_config.d/*.conf\nListenAddress ::\nKbdInteractiveAuthentication no\nUsePAM yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n`,
        files: { 'etc/ssh/sshd_config.d/50-cloud-init.conf': 'ListenAddress 203.0.113.10\nAddressFamily=inet6\nPasswordAuthentication no\n' },
      };

      it('the main file and another drop-in both set ListenAddress/AddressFamily: afterwards sshd -T lists only the tailnet address', async () => {
        const host = debianHost(conflicting);
        const before = realSshdT(host);
        expect(before.get('listenaddress')?.sort()).toEqual(['0.0.0.0:22', '203.0.113.10:22', '[::]:22'].sort());
        expect(before.get('addressfamily')).toEqual(['any']);
        const r = await run(host);
        expect(r.ok).toBe(true);
        const after = realSshdT(host);
        expect(after.get('listenaddress')).toEqual([`${TAILNET_IP}:22`]);
        expect(after.get('addressfamily')).toEqual(['inet']);
        expect(host.read('etc/ssh/sshd_config').split('\n').slice(0, 4)).toEqual([
          `${MARKER} ListenAddress 0.0.0.0`,
          `${MARKER} AddressFamily any`,
          'Include /etc/ssh/sshd_config.d/*.conf',
          `${MARKER} ListenAddress ::`,
        ]);
        expect(host.read('etc/ssh/sshd_config.d/50-cloud-init.conf')).toBe(
          `${MARKER} ListenAddress 203.0.113.10\n${MARKER} AddressFamily=inet6\nPasswordAuthentication no\n`,
        );
        expect(r.steps.find((s) => s.id === 'sshd.validate')?.detail).toBe('sshd -t: valid');
      });

      it('no Include in the main file: one is added at its top, and sshd -T confirms', async () => {
        const host = debianHost({ runSshd: true, mainConfig: 'Port 22\nListenAddress 0.0.0.0\nUsePAM yes\n' });
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(host.read('etc/ssh/sshd_config').split('\n').slice(0, 2)).toEqual([
          expect.stringMatching(/^#openclaw-fix-ssh# added by/),
          'Include /etc/ssh/sshd_config.d/00-openclaw-tailnet.conf',
        ]);
        expect(realSshdT(host).get('listenaddress')).toEqual([`${TAILNET_IP}:22`]);
      });

      it('sshd_config.d read only inside a Match block: the drop-in goes outside the glob, included at the top', async () => {
        const host = debianHost({ runSshd: true, mainConfig: 'UsePAM yes\nMatch User backup\n  Include /etc/ssh/sshd_config.d/*.conf\n' });
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(host.exists('etc/ssh/openclaw-tailnet.conf')).toBe(true);
        expect(host.exists('etc/ssh/sshd_config.d/00-openclaw-tailnet.conf')).toBe(false);
        expect(realSshdT(host).get('listenaddress')).toEqual([`${TAILNET_IP}:22`]);
      });

      it('custom ports are kept (Port 2222 and a ListenAddress with its own port)', async () => {
        const host = debianHost({
          runSshd: true,
          files: { 'etc/ssh/sshd_config.d/10-port.conf': 'Port 2222\nListenAddress 0.0.0.0:2200\nListenAddress 0.0.0.0\n' },
        });
        const r = await run(host);
        expect(r.ok).toBe(true);
        expect(realSshdT(host).get('listenaddress')?.sort()).toEqual([`${TAILNET_IP}:2200`, `${TAILNET_IP}:2222`]);
      });
    });

    describe('refusals: nothing is changed', () => {
      it.each(['203.0.113.10', '192.168.1.5', '100.128.0.1', '100.63.255.255', 'fd7a:115c:a1e0::1', 'abc', ''])('--ip %j is refused', async (ip) => {
        const host = debianHost();
        const hash = host.treeHash();
        const r = await run(host, { ip });
        expect(r).toMatchObject({ ok: false, rolled_back: false, error: { code: 'fix_ssh_refused' } });
        expect(r.steps.find((s) => s.status === 'failed')?.id).toBe('tailscale.address');
        expect(host.treeHash()).toBe(hash);
        expect(mutations(host)).toEqual([]);
      });

      it.each<[string, Record<string, string>, StepId, RegExp]>([
        ['stub tailscale ip -4 gives a LAN address', { STUB_TS_IP: '192.168.1.5' }, 'tailscale.address', /outside Tailscale's 100\.64\.0\.0\/10/],
        ['stub tailscale is logged out', { STUB_TS_IP: '' }, 'tailscale.address', /tailscale ip -4.* failed/],
        ['stub tailscale in userspace networking', { STUB_TS_TUN: 'false' }, 'tailscale.interface', /userspace networking/],
        ['stub tailscale stopped', { STUB_TS_STATE: 'Stopped' }, 'tailscale.interface', /Tailscale is Stopped/],
        ['stub ip: no interface carries the address', { STUB_IP_MISSING: '1' }, 'tailscale.interface', /no interface carries 100\.101\.102\.103/],
      ])('%s', async (_name, env, step, reason) => {
        const host = debianHost();
        const hash = host.treeHash();
        const r = await run(host, { env });
        expect(r.ok).toBe(false);
        expect(r.steps.find((s) => s.status === 'failed')?.id).toBe(step);
        expect(r.error?.reason).toMatch(reason);
        expect(host.treeHash()).toBe(hash);
      });

      it('--ip that is not this node (stub tailscale status) is refused', async () => {
        const r = await run(debianHost(), { ip: '100.64.0.9' });
        expect(r.error?.reason).toMatch(/100\.64\.0\.9 is not this node's Tailscale address/);
      });
    });

    describe('any failure rolls back every change: the test root is byte-identical', () => {
      it.each(STEP_IDS.map((s) => [s]))('failure injected after %s', async (step) => {
        await expectRolledBack(debianHost({ socket: 'active', serviceEnabled: false }), { failAfter: step }, step);
      });

      it('the same with conflicting config files to neutralise (every file restored)', async () => {
        const host = debianHost({ files: { 'etc/ssh/sshd_config.d/50-cloud-init.conf': 'ListenAddress 0.0.0.0\nAddressFamily any\n' } });
        await expectRolledBack(host, { failAfter: 'verify.listeners' }, 'verify.listeners');
      });

      it('real sshd -t failing (STUB_SSHD_T_FAIL in the wrapper) → rollback with diagnostics', async () => {
        const r = await expectRolledBack(debianHost(), { env: { STUB_SSHD_T_FAIL: '1' } }, 'sshd.validate');
        expect(r.diagnostics?.sshd_T).toMatch(/listenaddress 100\.101\.102\.103:22/);
        expect(r.diagnostics?.config_lines.join('\n')).toMatch(/00-openclaw-tailnet\.conf:\d+: ListenAddress/);
        expect(r.diagnostics?.service_status).toMatch(/ssh\.service/);
        expect(r.rollback_systemctl).toEqual([
          'systemctl unmask ssh.socket',
          'systemctl enable ssh.socket',
          'systemctl daemon-reload',
          'systemctl stop ssh.service',
          'systemctl start ssh.socket',
        ]);
      });

      it.each<[string, StepId]>([
        ['mask ssh.socket', 'ssh.socket'],
        ['daemon-reload', 'systemd.ordering'],
        ['restart ssh.service', 'sshd.restart'],
      ])('stub systemctl failing "%s" → rollback', async (call, step) => {
        await expectRolledBack(debianHost(), { env: { STUB_SYSTEMCTL_FAIL: call } }, step);
      });

      it('a rollback step that fails too is reported, never hidden (stub daemon-reload failing every time)', async () => {
        const host = debianHost();
        const r = await run(host, { env: { STUB_SYSTEMCTL_FAIL: 'daemon-reload', STUB_SYSTEMCTL_FAIL_ALWAYS: '1' } });
        expect(r).toMatchObject({ ok: false, rolled_back: true });
        expect(r.rollback_problems).toEqual(['`systemctl daemon-reload` failed (exit 1): Failed to daemon-reload unit: injected failure (stub)']);
      });

      it('verify fails: ss (stub) still shows 0.0.0.0:22 after the restart → rollback', async () => {
        const r = await expectRolledBack(
          debianHost(),
          { env: { STUB_SS_EXTRA: 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=77,fd=3))' } },
          'verify.listeners',
        );
        expect(r.error?.reason).toMatch(/still exposed: 0\.0\.0\.0:22 \(sshd\)/);
      });

      it('a rollback of a service that was running restarts it with the old config', async () => {
        const host = debianHost({ socket: 'absent', serviceActive: true });
        const r = await expectRolledBack(host, { failAfter: 'verify.listeners' }, 'verify.listeners');
        expect(r.rollback_systemctl).toEqual(['systemctl daemon-reload', 'systemctl restart ssh.service']);
      });
    });

    describe('--dry-run', () => {
      it('changes nothing and shows the exact changes', async () => {
        const host = debianHost({ files: { 'etc/ssh/sshd_config.d/50-cloud-init.conf': 'ListenAddress 0.0.0.0\n' } });
        const hash = host.treeHash();
        const r = await run(host, { dryRun: true });
        expect(r.ok).toBe(true);
        expect(host.treeHash()).toBe(hash);
        expect(mutations(host)).toEqual([]);
        expect(host.activeUnits()).toEqual(['ssh.socket']);
        expect(r.systemctl).toEqual([
          'systemctl disable ssh.socket',
          'systemctl stop ssh.socket',
          'systemctl mask ssh.socket',
          'systemctl daemon-reload',
          'systemctl restart ssh.service',
        ]);
        const byPath = Object.fromEntries(r.diffs.map((d) => [d.path, d.diff]));
        expect(Object.keys(byPath).sort()).toEqual([
          '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf',
          '/etc/ssh/sshd_config.d/50-cloud-init.conf',
          '/etc/systemd/system/ssh.service.d/10-openclaw-tailnet.conf',
        ]);
        expect(byPath['/etc/ssh/sshd_config.d/50-cloud-init.conf']).toBe(
          `--- a/etc/ssh/sshd_config.d/50-cloud-init.conf\n+++ b/etc/ssh/sshd_config.d/50-cloud-init.conf\n@@ -1,1 +1,1 @@\n-ListenAddress 0.0.0.0\n+${MARKER} ListenAddress 0.0.0.0\n`,
        );
        expect(byPath['/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf']).toMatch(
          /^--- \/dev\/null\n\+\+\+ b\/etc\/ssh\/sshd_config.d\/00-openclaw-tailnet.conf\n@@ -0,0 \+1,6 @@\n/,
        );
        expect(r.steps.filter((s) => s.status === 'planned').map((s) => s.id)).toEqual([
          'backup',
          'run.sshd',
          'ssh.socket',
          'sshd.dropin',
          'sshd.neutralise',
          'systemd.ordering',
          'sshd.validate',
          'sshd.effective',
          'sshd.restart',
          'verify.listeners',
        ]);
      });
    });
  },
);
