/**
 * A test root laid out like a Debian host with openssh-server installed: the package's real
 * sshd_config, ssh.service and ssh.socket (test/fixtures/debian-bookworm), host keys made with
 * ssh-keygen, /run, and unit symlinks as `systemctl enable` leaves them. The programs fix-ssh calls
 * come from test/stubs: stub systemctl, tailscale, ip and ss (the test names say so), and a wrapper
 * that runs the REAL sshd with the test root's /etc/ssh and /run mounted over the real ones.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';

export const STUBS = join(import.meta.dirname, 'stubs');
const DEBIAN = join(import.meta.dirname, 'fixtures/debian-bookworm');
export const TAILNET_IP = '100.101.102.103';

let keys: string | undefined;
// Registered when the test file loads this module: an afterAll called from inside a running test
// (where hostKeys() is first called) did not run, and every file left its keys in /tmp.
afterAll(() => {
  if (keys) rmSync(keys, { recursive: true, force: true });
  keys = undefined;
});
/** Host keys, made once per test file (ssh-keygen is real). */
function hostKeys(): string {
  if (keys) return keys;
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-hostkeys-'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', join(dir, 'ssh_host_ed25519_key')]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  keys = dir;
  return dir;
}

export interface HostOptions {
  /** ssh.socket: enabled and listening (Ubuntu ≥ 22.10 default), present but unused, or absent. */
  socket?: 'active' | 'disabled' | 'absent';
  serviceActive?: boolean;
  serviceEnabled?: boolean;
  /** Replaces the Debian sshd_config. */
  mainConfig?: string;
  /** /run/sshd exists already (ssh.service has run since boot); by default fix-ssh must create it. */
  runSshd?: boolean;
  /** Extra files, relative to the root (e.g. `etc/ssh/sshd_config.d/50-cloud-init.conf`). */
  files?: Record<string, string>;
}

export interface TestHost {
  root: string;
  state: string;
  env: NodeJS.ProcessEnv;
  /** Hash of the whole tree: paths, types, modes, owners, contents, symlink targets. */
  treeHash(): string;
  /** The stub systemd's runtime state (which units are active). */
  activeUnits(): string[];
  read(rel: string): string;
  exists(rel: string): boolean;
  systemctlLog(): string[];
}

export function debianHost(opts: HostOptions = {}): TestHost {
  const base = testdir();
  const root = join(base, 'root');
  const state = join(base, 'stub-state');
  for (const d of [
    'etc/ssh/sshd_config.d',
    'run',
    'etc/systemd/system/sockets.target.wants',
    'etc/systemd/system/multi-user.target.wants',
    'lib/systemd/system',
  ])
    mkdirSync(join(root, d), { recursive: true });
  for (const d of ['units', 'active']) mkdirSync(join(state, d), { recursive: true });
  if (opts.runSshd) mkdirSync(join(root, 'run/sshd'), { mode: 0o755 });
  writeFileSync(join(state, 'systemctl.log'), '');
  if (opts.mainConfig === undefined) copyFileSync(join(DEBIAN, 'sshd_config'), join(root, 'etc/ssh/sshd_config'));
  else writeFileSync(join(root, 'etc/ssh/sshd_config'), opts.mainConfig);
  for (const f of ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']) copyFileSync(join(hostKeys(), f), join(root, 'etc/ssh', f));
  copyFileSync(join(DEBIAN, 'ssh.service'), join(root, 'lib/systemd/system/ssh.service'));
  writeFileSync(join(state, 'units/ssh.service'), 'multi-user.target');
  if (opts.serviceEnabled !== false) symlinkSync('/lib/systemd/system/ssh.service', join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'));
  if (opts.serviceActive) writeFileSync(join(state, 'active/ssh.service'), '');
  const socket = opts.socket ?? 'active';
  if (socket !== 'absent') {
    copyFileSync(join(DEBIAN, 'ssh.socket'), join(root, 'lib/systemd/system/ssh.socket'));
    writeFileSync(join(state, 'units/ssh.socket'), 'sockets.target');
    if (socket === 'active') {
      symlinkSync('/lib/systemd/system/ssh.socket', join(root, 'etc/systemd/system/sockets.target.wants/ssh.socket'));
      writeFileSync(join(state, 'active/ssh.socket'), '');
    }
  }
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${STUBS}:${process.env.PATH}`, STUB_STATE: state, STUB_TS_IP: TAILNET_IP };
  delete env.OPENCLAW_TEST_ROOT;
  return {
    root,
    state,
    env,
    treeHash: () => treeHash(root),
    activeUnits: () => readdirSync(join(state, 'active')).sort(),
    read: (rel) => readFileSync(join(root, rel), 'utf8'),
    exists: (rel) => {
      try {
        lstatSync(join(root, rel));
        return true;
      } catch {
        return false;
      }
    },
    systemctlLog: () => readFileSync(join(state, 'systemctl.log'), 'utf8').split('\n').filter(Boolean),
  };
}

export function treeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = p.slice(root.length);
      const kind = st.isSymbolicLink()
        ? `link ${readlinkSync(p)}`
        : st.isDirectory()
          ? 'dir'
          : st.isFile()
            ? `file ${createHash('sha256').update(readFileSync(p)).digest('hex')}`
            : 'other';
      h.update(`${rel}\t${(st.mode & 0o7777).toString(8)}\t${st.uid}:${st.gid}\t${kind}\n`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return h.digest('hex');
}

/** `sshd -T` of the test root's config by the REAL sshd (through the wrapper), as keyword → values. */
export function realSshdT(host: TestHost): Map<string, string[]> {
  const out = execFileSync(join(STUBS, 'sshd'), ['-T', '-f', join(host.root, 'etc/ssh/sshd_config')], {
    encoding: 'utf8',
    env: { ...host.env, OPENCLAW_TEST_ROOT: host.root },
  });
  const m = new Map<string, string[]>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [k, ...v] = line.split(' ');
    m.set(k as string, [...(m.get(k as string) ?? []), v.join(' ')]);
  }
  return m;
}
