#!/usr/bin/env node
/**
 * A host with listeners on every tier, built for real inside fresh network and mount namespaces:
 *   unshare --net --mount node netns-host.mjs [mixed|socket-activated]
 * Interfaces: lo; tailscale0 (veth) with 100.101.102.103 and fd7a:115c:a1e0::1234; eth0 (veth) with
 * 203.0.113.10, 192.168.1.20, 2001:db8::10, fd00::5 and fe80::1. Listeners: the real OpenSSH sshd
 * (mixed) or a socket held by a process named systemd on *:22 (socket-activated), and programs named
 * like the services they stand for (node sets its process title; python3 where a socket must be
 * bound to a device, which node cannot do). Prints JSON: the real output of ss, netstat and lsof.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scenario = process.argv[2] ?? 'mixed';
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' });

sh('mount', ['-t', 'tmpfs', 'tmpfs', '/run']);
mkdirSync('/run/sshd', { mode: 0o755 });
sh('ip', ['link', 'set', 'lo', 'up']);
for (const [dev, peer] of [
  ['tailscale0', 'tspeer'],
  ['eth0', 'ethpeer'],
]) {
  sh('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', peer]);
  sh('ip', ['link', 'set', dev, 'up']);
  sh('ip', ['link', 'set', peer, 'up']);
}
sh('ip', ['addr', 'add', '100.101.102.103/32', 'dev', 'tailscale0']);
sh('ip', ['-6', 'addr', 'add', 'fd7a:115c:a1e0::1234/128', 'dev', 'tailscale0', 'nodad']);
for (const a of ['203.0.113.10/24', '192.168.1.20/24']) sh('ip', ['addr', 'add', a, 'dev', 'eth0']);
for (const a of ['2001:db8::10/64', 'fd00::5/64', 'fe80::1/64']) sh('ip', ['-6', 'addr', 'add', a, 'dev', 'eth0', 'nodad']);

const children = [];
const work = mkdtempSync(join(tmpdir(), 'openclaw-netns-'));

/** A node listener whose process (comm and command line) is called `name`. */
function nodeListener(name, listen, opts = {}) {
  const code = `process.title = ${JSON.stringify(name)}; require('net').createServer().listen(${JSON.stringify(listen)}, () => process.stdout.write('up\\n'));`;
  return start(process.execPath, ['-e', code], opts);
}

/** A python3 listener (for SO_BINDTODEVICE, or a fork after listen); comm is set to `name`. */
function pyListener(name, family, addr, port, { dev, v6only, fork } = {}) {
  const code = `
import socket, os, sys, time
open('/proc/self/comm', 'w').write(${JSON.stringify(name)})
s = socket.socket(socket.AF_INET6 if ${family === 6 ? 'True' : 'False'} else socket.AF_INET)
${v6only === undefined ? '' : `s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, ${v6only})`}
${dev ? `s.setsockopt(socket.SOL_SOCKET, 25, ${JSON.stringify(dev)}.encode())` : ''}
s.bind((${JSON.stringify(addr)}, ${port}${family === 6 && addr.startsWith('fe80') ? ", 0, socket.if_nametoindex('eth0')" : ''}))
s.listen()
${fork ? 'os.fork()' : ''}
sys.stdout.write('up\\n'); sys.stdout.flush()
time.sleep(600)
`;
  return start('python3', ['-c', code]);
}

function start(cmd, args, opts = {}) {
  // Its own process group, so a fork of it is ended with it.
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true, ...opts });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${cmd} ${args.join(' ').slice(0, 80)} exited ${code}`)));
  });
}

const waits = [];
if (scenario === 'mixed') {
  // The real OpenSSH server with Debian's defaults: no ListenAddress, so 0.0.0.0:22 and [::]:22.
  const key = join(work, 'ssh_host_ed25519_key');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  writeFileSync(join(work, 'sshd_config'), `HostKey ${key}\nPidFile ${join(work, 'sshd.pid')}\n`);
  sh('/usr/sbin/sshd', ['-f', join(work, 'sshd_config')]);
} else {
  // ssh.socket: systemd holds *:22 and starts sshd per connection.
  waits.push(nodeListener('systemd', { port: 22, host: '::', ipv6Only: false }));
}
waits.push(
  nodeListener('tailscaled', { port: 41000, host: '100.101.102.103' }),
  nodeListener('tailscaled', { port: 41001, host: 'fd7a:115c:a1e0::1234' }),
  nodeListener('tailscaled', { port: 41641, host: '0.0.0.0' }),
  nodeListener('node', { port: 18789, host: '127.0.0.1' }),
  nodeListener('postgres', { port: 5432, host: '::1' }),
  nodeListener('grafana', { port: 3000, host: '::ffff:127.0.0.1' }),
  nodeListener('python3', { port: 8080, host: '::', ipv6Only: false }),
  nodeListener('nginx', { port: 443, host: '203.0.113.10' }),
  nodeListener('redis', { port: 6379, host: '192.168.1.20' }),
  nodeListener('mapped-pub', { port: 3001, host: '::ffff:203.0.113.10' }),
  nodeListener('ula-app', { port: 9000, host: 'fd00::5' }),
  nodeListener('web server', { port: 8000, host: '127.0.0.1' }, { uid: 65534, gid: 65534 }),
  nodeListener('public6', { port: 8446, host: '2001:db8::10' }),
  pyListener('caddy', 4, '0.0.0.0', 8443, { dev: 'tailscale0' }),
  pyListener('caddy6', 6, '::', 8444, { dev: 'tailscale0', v6only: 1 }),
  pyListener('dual-eth0', 6, '::', 8445, { dev: 'eth0', v6only: 0 }),
  pyListener('linklocal', 6, 'fe80::1', 2222),
  pyListener('systemd-resolve', 4, '127.0.0.53', 53, { dev: 'lo' }),
  pyListener('gunicorn', 4, '0.0.0.0', 9999, { fork: true }),
);
const captures = {};
try {
  await Promise.all(waits);
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return e.stdout ?? '';
    }
  };
  captures['ss -tlnp'] = run('ss', ['-tlnp']);
  captures['ss -H -tlnp'] = run('ss', ['-H', '-tlnp']);
  captures['ss -tulpn'] = run('ss', ['-tulpn']);
  captures['netstat -tlnpW'] = run('netstat', ['-tlnpW']);
  captures['lsof -nP -iTCP -sTCP:LISTEN'] = run('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN']);
  captures['ss -tlnp (as nobody)'] = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ss', '-tlnp']);
} finally {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    process.kill(Number(readFileSync(join(work, 'sshd.pid'), 'utf8')), 'SIGTERM');
  } catch {
    // no sshd in this scenario
  }
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(captures)}\n`);
process.exit(0);
