#!/usr/bin/env node
/**
 * A VPS in a network namespace: `unshare --net node fix-ssh-netns.mjs ROOT STATE sshd|socket`.
 * Interfaces tailscale0 (100.101.102.103) and eth0 (203.0.113.10); a test root made from the real
 * Debian sshd files; the REAL sshd started as ssh.service would start it (Debian defaults: 0.0.0.0:22
 * and [::]:22) — or, for `socket`, a listener named systemd on *:22 as ssh.socket holds it. systemctl
 * and tailscale are stubs (systemd and tailscaled cannot run here); ss and ip are the real ones.
 * Then, as a user would: openclaw doctor, a fix-ssh that fails after its last step and rolls back, a
 * fix-ssh that succeeds, and doctor again. Prints JSON with every output and what ss saw.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [root, state, scenario] = process.argv.slice(2);
const repo = join(import.meta.dirname, '..');
const stubs = join(repo, 'packages/fix-ssh/test/stubs');
const debian = join(repo, 'packages/fix-ssh/test/fixtures/debian-bookworm');
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' });

sh('ip', ['link', 'set', 'lo', 'up']);
for (const [dev, peer, addr] of [
  ['tailscale0', 'tspeer', '100.101.102.103/32'],
  ['eth0', 'ethpeer', '203.0.113.10/24'],
]) {
  sh('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', peer]);
  sh('ip', ['link', 'set', dev, 'up']);
  sh('ip', ['link', 'set', peer, 'up']);
  sh('ip', ['addr', 'add', addr, 'dev', dev]);
}

for (const d of [
  'etc/ssh/sshd_config.d',
  'run/sshd',
  'etc/systemd/system/sockets.target.wants',
  'etc/systemd/system/multi-user.target.wants',
  'lib/systemd/system',
])
  mkdirSync(join(root, d), { recursive: true });
for (const d of ['units', 'active']) mkdirSync(join(state, d), { recursive: true });
copyFileSync(join(debian, 'sshd_config'), join(root, 'etc/ssh/sshd_config'));
for (const u of ['ssh.service', 'ssh.socket']) copyFileSync(join(debian, u), join(root, 'lib/systemd/system', u));
sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'etc/ssh/ssh_host_ed25519_key')]);
writeFileSync(join(state, 'units/ssh.service'), 'multi-user.target');
writeFileSync(join(state, 'units/ssh.socket'), 'sockets.target');
symlinkSync('/lib/systemd/system/ssh.service', join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'));
if (scenario === 'socket') symlinkSync('/lib/systemd/system/ssh.socket', join(root, 'etc/systemd/system/sockets.target.wants/ssh.socket'));

// Only systemctl, tailscale and the sshd wrapper come from the stubs; ss and ip are real.
// Removed in the finally below, whatever happened.
const bin = mkdtempSync(join(tmpdir(), 'openclaw-netns-bin-'));
const env = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  STUB_STATE: state,
  STUB_TS_IP: '100.101.102.103',
  STUB_LIVE: '1',
  OPENCLAW_TEST_ROOT: root,
  NO_COLOR: '1',
};
const systemctl = (...args) => spawnSync('systemctl', args, { env, encoding: 'utf8' });
const openclaw = (args, extra = {}) => {
  const r = spawnSync(join(repo, 'bin/openclaw'), args, { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const ss = () => sh('ss', ['-H', '-tlnp']);

function treeHash(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const kind = st.isSymbolicLink()
        ? `link ${readlinkSync(p)}`
        : st.isDirectory()
          ? 'dir'
          : `file ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      h.update(`${p.slice(dir.length)}\t${(st.mode & 0o7777).toString(8)}\t${st.uid}:${st.gid}\t${kind}\n`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return h.digest('hex');
}

const out = {};
try {
  for (const name of ['systemctl', 'tailscale', 'sshd']) symlinkSync(join(stubs, name), join(bin, name));
  const started = systemctl('start', scenario === 'socket' ? 'ssh.socket' : 'ssh.service');
  if (started.status !== 0) throw new Error(`could not start: ${started.stderr}`);
  out.ssBefore = ss();
  out.doctorBefore = openclaw(['doctor', '--only', 'ports.public']);
  out.doctorBeforeJson = openclaw(['doctor', '--only', 'ports.public', '--json']);
  const hash = treeHash(root);
  out.failed = openclaw(['fix-ssh', '--test-root', root, '--json'], { OPENCLAW_TEST_FAIL_AFTER: 'verify.listeners' });
  out.rolledBackIdentical = treeHash(root) === hash;
  out.ssAfterRollback = ss();
  out.fixed = openclaw(['fix-ssh', '--test-root', root]);
  out.ssAfterFix = ss();
  out.doctorAfterJson = openclaw(['doctor', '--only', 'ports.public', '--json']);
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  systemctl('stop', 'ssh.service');
  systemctl('stop', 'ssh.socket');
  rmSync(bin, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
