/**
 * The attestation probe program: runs INSIDE the sandbox (`openclaw sandbox attest`), observes what
 * the sandbox lets it do, and prints one JSON document on stdout. It imports only Node built-ins and
 * uses only erasable TypeScript, so the sandbox's own node runs it as built (`dist/sandbox-probe.js`)
 * or straight from this file under the test runner.
 *
 * Every verdict comes from an observation made here: an operation that must fail is PASS only when
 * it was tried and failed; one that must succeed (the workspace write) only when it succeeded.
 * Nothing that was not tried is a PASS: it is NOT_RUN with the reason. The host side adds what only
 * it can see (that the workspace file really arrived) — see `attest.ts`.
 *
 * No probe sends a packet off this machine: egress is tested with connect(2) on UDP sockets, which
 * only asks the kernel for a route (ENETUNREACH without one) and sends nothing.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface ProbeConfig {
  /** TCP listener on the host's loopback: port and the token it sends. */
  loopback: { host: string; port: number; token: string };
  /** Abstract Unix socket name (without the leading NUL) listening on the host. */
  abstractSocket: string;
  /** Path Unix socket listening on the host, outside the workspace. */
  pathSocket: string;
  /** The approvals endpoint socket (or a stand-in listening at its path). */
  approvalsSocket: string;
  containerSockets: string[];
  /** Secret paths that exist on the host. */
  secretPaths: string[];
  /** A file the host wrote under $OPENCLAW_HOME, and its content. */
  secretCanary: { path: string; token: string };
  /** An env var set in the launching process only. */
  envCanary: string;
  allowedEnv: string[];
  workspace: string;
  workspaceToken: string;
  /** A file the host wrote in its /tmp. */
  tmpCanary: string;
  hostPid: number;
  hostPidStart: string;
  hostHostname: string;
  /** readlink of /proc/self/ns/* on the host. */
  hostNamespaces: Record<string, string>;
  seccompExpected: boolean;
}

export type Verdict = 'PASS' | 'FAIL' | 'NOT_RUN';

export interface ProbeRecord {
  probe_id: string;
  operation: string;
  expected: string;
  actual_stderr_or_value: string;
  errno_or_exit: string | number | null;
  verdict: Verdict;
}

export interface ProbeOutput {
  probes: ProbeRecord[];
  raw: { mountinfo: string; env_keyset: string[]; proc_net_dev: string };
}

const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|AWS_|OPENAI|ANTHROPIC|GITHUB|SSH_AUTH_SOCK)/i;

function errOf(e: unknown): { code: string; message: string } {
  const err = e as NodeJS.ErrnoException;
  return { code: err?.code ?? 'ERROR', message: err?.message ?? String(e) };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    return `<unreadable: ${errOf(e).code}>`;
  }
}

function statusField(name: string): string | null {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(readText('/proc/self/status'));
  return m ? (m[1] as string).trim() : null;
}

/** connect(2) on a UDP socket: asks for a route, sends nothing. */
function udpRoute(address: string, family: 'udp4' | 'udp6'): Promise<{ ok: boolean; code: string; message: string }> {
  return new Promise((resolve) => {
    const s = createSocket(family);
    const done = (r: { ok: boolean; code: string; message: string }) => {
      try {
        s.close();
      } catch {}
      resolve(r);
    };
    s.once('error', (e) => done({ ok: false, ...errOf(e) }));
    // The callback gets connect(2)'s error, if any.
    s.connect(53, address, (err?: Error) =>
      err
        ? done({ ok: false, ...errOf(err) })
        : done({ ok: true, code: 'CONNECTED', message: `the kernel has a route to ${address} (local ${s.address().address})` }),
    );
  });
}

/** TCP or Unix connect with a bound wait; `read` collects what the listener sends first. */
function tryConnect(
  opts: { host: string; port: number } | { path: string },
  timeoutMs = 3000,
): Promise<{ ok: boolean; code: string; message: string; data: string }> {
  return new Promise((resolve) => {
    const s = connect(opts as never);
    let data = '';
    let settled = false;
    const done = (r: { ok: boolean; code: string; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ ...r, data });
    };
    const timer = setTimeout(() => done({ ok: false, code: 'TIMEOUT', message: `no answer in ${timeoutMs} ms` }), timeoutMs);
    s.on('data', (b: Buffer) => {
      data += b.toString('utf8');
      if (data.includes('\n')) done({ ok: true, code: 'CONNECTED', message: 'connected' });
    });
    s.once('connect', () => setTimeout(() => done({ ok: true, code: 'CONNECTED', message: 'connected' }), 300));
    s.once('error', (e) => done({ ok: false, ...errOf(e) }));
  });
}

function record(probe_id: string, operation: string, expected: string, actual: string, errno: string | number | null, verdict: Verdict): ProbeRecord {
  return { probe_id, operation, expected, actual_stderr_or_value: actual.slice(0, 4000), errno_or_exit: errno, verdict };
}

async function mustFailConnect(id: string, operation: string, target: { host: string; port: number } | { path: string }, token?: string): Promise<ProbeRecord> {
  const r = await tryConnect(target);
  const expected = 'the connection fails (ECONNREFUSED/ENOENT/ENETUNREACH): the host is not reachable from inside';
  if (!r.ok) return record(id, operation, expected, r.message, r.code, 'PASS');
  const ours = token !== undefined && r.data.includes(token);
  return record(id, operation, expected, `connected${ours ? ' and received the host canary token' : ''}: ${r.data.trim().slice(0, 200)}`, 0, 'FAIL');
}

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as ProbeConfig;
  const probes: ProbeRecord[] = [];

  // 1-2. Egress: no route to any outside address (no packet is sent).
  for (const [id, addr, fam] of [
    ['net_egress_ipv4', '1.1.1.1', 'udp4'],
    ['net_egress_ipv6', '2606:4700:4700::1111', 'udp6'],
  ] as const) {
    const r = await udpRoute(addr, fam);
    probes.push(
      record(
        id,
        `connect(2) a ${fam} socket to ${addr}:53 (route lookup only, no packet)`,
        'no route: ENETUNREACH (or EADDRNOTAVAIL/EAFNOSUPPORT)',
        r.message,
        r.code,
        r.ok ? 'FAIL' : 'PASS',
      ),
    );
  }

  // 3. DNS.
  {
    const t0 = Date.now();
    try {
      const a = await Promise.race([
        lookup('registry.npmjs.org', { all: true }),
        new Promise<never>((_, rej) => setTimeout(() => rej(Object.assign(new Error('no answer in 5000 ms'), { code: 'TIMEOUT' })), 5000).unref()),
      ]);
      probes.push(record('dns_resolution', 'getaddrinfo("registry.npmjs.org")', 'resolution fails', `resolved: ${JSON.stringify(a)}`, 0, 'FAIL'));
    } catch (e) {
      const err = errOf(e);
      probes.push(
        record('dns_resolution', 'getaddrinfo("registry.npmjs.org")', 'resolution fails', `${err.message} after ${Date.now() - t0} ms`, err.code, 'PASS'),
      );
    }
  }

  // 4. The host's loopback, where a canary listener is waiting with a token.
  probes.push(
    await mustFailConnect(
      'host_loopback_canary',
      `TCP connect to the host's canary listener ${cfg.loopback.host}:${cfg.loopback.port}`,
      { host: cfg.loopback.host, port: cfg.loopback.port },
      cfg.loopback.token,
    ),
  );

  // 5. Interfaces.
  {
    const dev = readText('/proc/net/dev');
    const names = dev
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(':')[0])
      .filter(Boolean);
    const extra = names.filter((n) => n !== 'lo');
    probes.push(
      record(
        'net_interfaces',
        'read /proc/net/dev',
        'only the loopback interface lo',
        names.join(','),
        null,
        extra.length === 0 && names.length > 0 ? 'PASS' : 'FAIL',
      ),
    );
  }

  // 6-8. Unix sockets: abstract (per network namespace), a path socket in the host's /tmp, the approvals endpoint.
  probes.push(
    await mustFailConnect('unix_abstract_canary', `connect to the host's abstract Unix socket @${cfg.abstractSocket}`, { path: `\0${cfg.abstractSocket}` }),
  );
  probes.push(await mustFailConnect('unix_path_canary', `connect to the host's Unix socket ${cfg.pathSocket}`, { path: cfg.pathSocket }));
  probes.push(await mustFailConnect('approvals_socket', `connect to the approvals endpoint socket ${cfg.approvalsSocket}`, { path: cfg.approvalsSocket }));

  // 9. Container runtime sockets.
  {
    const reached: string[] = [];
    const seen: string[] = [];
    for (const p of cfg.containerSockets) {
      const r = await tryConnect({ path: p }, 1500);
      seen.push(`${p}: ${r.ok ? 'CONNECTED' : r.code}`);
      if (r.ok) reached.push(p);
    }
    probes.push(
      record(
        'container_runtime_sockets',
        `connect to ${cfg.containerSockets.length} container runtime sockets (docker, containerd, podman, cri-o)`,
        'none can be connected to',
        seen.join('; '),
        reached.length ? 0 : 'ENOENT',
        reached.length ? 'FAIL' : 'PASS',
      ),
    );
  }

  // 10. Root filesystem writes.
  {
    const results: string[] = [];
    let wrote = false;
    for (const dir of ['/', '/etc', '/usr', '/var', '/root', '/home']) {
      const f = join(dir, `.openclaw-attest-${process.pid}`);
      if (!existsSync(dir)) continue;
      try {
        writeFileSync(f, 'x');
        wrote = true;
        results.push(`${dir}: WROTE`);
        rmSync(f, { force: true });
      } catch (e) {
        results.push(`${dir}: ${errOf(e).code}`);
      }
    }
    probes.push(
      record(
        'rootfs_write',
        'create a file in / /etc /usr /var /root /home',
        'every write fails (EROFS)',
        results.join('; '),
        wrote ? 0 : 'EROFS',
        wrote ? 'FAIL' : 'PASS',
      ),
    );
  }

  // 11. Workspace write: the positive control (the host checks the file arrived).
  {
    const f = join(cfg.workspace, '.openclaw-attest-control');
    try {
      writeFileSync(f, cfg.workspaceToken);
      probes.push(record('workspace_write', `create ${f}`, 'the write succeeds (positive control)', 'written', 0, 'PASS'));
    } catch (e) {
      const err = errOf(e);
      probes.push(record('workspace_write', `create ${f}`, 'the write succeeds (positive control)', err.message, err.code, 'FAIL'));
    }
  }

  // 12. Private /tmp.
  {
    let visible = false;
    try {
      statSync(cfg.tmpCanary);
      visible = true;
    } catch {}
    let writable = false;
    try {
      writeFileSync(`/tmp/.openclaw-attest-${process.pid}`, 'x');
      writable = true;
    } catch {}
    probes.push(
      record(
        'private_tmp',
        `look for the host's ${cfg.tmpCanary}; write in /tmp`,
        "the host's file is absent and /tmp is writable",
        `host canary ${visible ? 'VISIBLE' : 'absent'}; /tmp ${writable ? 'writable' : 'not writable'}`,
        null,
        !visible && writable ? 'PASS' : 'FAIL',
      ),
    );
  }

  // 13. Secret files.
  {
    const seen: string[] = [];
    let leaked = false;
    const canary = readText(cfg.secretCanary.path);
    if (canary.includes(cfg.secretCanary.token)) leaked = true;
    seen.push(`${cfg.secretCanary.path}: ${canary.includes(cfg.secretCanary.token) ? 'READ' : canary.startsWith('<unreadable') ? canary : 'empty'}`);
    for (const p of cfg.secretPaths) {
      try {
        const st = statSync(p);
        if (st.isDirectory()) {
          const entries = readdirSync(p);
          if (entries.length) leaked = true;
          seen.push(`${p}: ${entries.length} entries`);
        } else {
          const size = readFileSync(p).length;
          if (size) leaked = true;
          seen.push(`${p}: ${size} bytes`);
        }
      } catch (e) {
        seen.push(`${p}: ${errOf(e).code}`);
      }
    }
    probes.push(
      record(
        'secret_files',
        `read the host canary under $OPENCLAW_HOME and list ${cfg.secretPaths.length} secret paths`,
        'the canary is unreadable or empty; every secret directory is empty, every secret file is empty',
        seen.join('; '),
        null,
        leaked ? 'FAIL' : 'PASS',
      ),
    );
  }

  // 14. Secret env names.
  const envKeys = Object.keys(process.env).sort();
  {
    const unexpected = envKeys.filter((k) => !cfg.allowedEnv.includes(k));
    const secretish = envKeys.filter((k) => SECRET_ENV.test(k));
    const canary = envKeys.includes(cfg.envCanary);
    const bad = unexpected.length > 0 || secretish.length > 0 || canary;
    probes.push(
      record(
        'secret_env',
        `list the environment's names (the launcher's process had ${cfg.envCanary} set)`,
        `only ${cfg.allowedEnv.join(' ')}; no secret-looking name; not the canary`,
        `keys=${envKeys.join(',')}${unexpected.length ? ` unexpected=${unexpected.join(',')}` : ''}${secretish.length ? ` secret-looking=${secretish.join(',')}` : ''}`,
        null,
        bad ? 'FAIL' : 'PASS',
      ),
    );
  }

  // 15. PID namespace.
  {
    const pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    let hostVisible = false;
    try {
      const stat = readFileSync(`/proc/${cfg.hostPid}/stat`, 'utf8');
      hostVisible = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === cfg.hostPidStart;
    } catch {}
    const own = process.pid;
    const ok = !hostVisible && own < 100 && pids.length < 50;
    probes.push(
      record(
        'pid_namespace',
        `list /proc; look for the launching process (host pid ${cfg.hostPid})`,
        'a new pid namespace: few processes, small pids, the host process invisible',
        `own pid ${own}; ${pids.length} processes visible (${pids.slice(0, 10).join(',')}); host process ${hostVisible ? 'VISIBLE' : 'invisible'}`,
        null,
        ok ? 'PASS' : 'FAIL',
      ),
    );
  }

  // 16. Namespaces and hostname.
  {
    const diffs: string[] = [];
    const same: string[] = [];
    for (const [ns, host] of Object.entries(cfg.hostNamespaces)) {
      let mine = '';
      try {
        mine = readlinkSync(`/proc/self/ns/${ns}`);
      } catch (e) {
        mine = `<${errOf(e).code}>`;
      }
      (mine === host ? same : diffs).push(`${ns}=${mine}`);
    }
    const name = hostname();
    const wanted = ['ipc', 'uts', 'net', 'pid', 'mnt'];
    const ok = wanted.every((n) => diffs.some((d) => d.startsWith(`${n}=`))) && name !== cfg.hostHostname;
    probes.push(
      record(
        'namespaces',
        'compare /proc/self/ns/{ipc,uts,net,pid,mnt,cgroup,user} with the host; read the hostname',
        'ipc, uts, net, pid and mnt differ from the host; the hostname is not the host’s',
        `new: ${diffs.join(' ')}; shared: ${same.join(' ') || 'none'}; hostname ${name}`,
        null,
        ok ? 'PASS' : 'FAIL',
      ),
    );
  }

  // 17. no_new_privs and capabilities.
  {
    const nnp = statusField('NoNewPrivs');
    probes.push(record('no_new_privs', 'read NoNewPrivs in /proc/self/status', 'NoNewPrivs: 1', `NoNewPrivs: ${nnp}`, null, nnp === '1' ? 'PASS' : 'FAIL'));
    const caps = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((k) => [k, statusField(k)] as const);
    const ok = caps.every(([, v]) => v !== null && /^0+$/.test(v));
    probes.push(
      record(
        'capabilities',
        'read Cap* in /proc/self/status',
        'every capability set is empty (0)',
        caps.map(([k, v]) => `${k}=${v}`).join(' '),
        null,
        ok ? 'PASS' : 'FAIL',
      ),
    );
  }

  // 18. setuid: the kernel must not honour the setuid bit of any visible binary.
  {
    const candidates = ['/usr/bin/passwd', '/usr/bin/su', '/bin/su', '/usr/bin/mount', '/usr/bin/newgrp', '/usr/bin/chsh', '/usr/bin/sudo', '/usr/bin/gpasswd'];
    const setuid = candidates.filter((p) => {
      try {
        return (statSync(p).mode & 0o4000) !== 0;
      } catch {
        return false;
      }
    });
    const mounts = readText('/proc/self/mountinfo')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const f = l.split(' ');
        return { point: (f[4] ?? '').replace(/\\040/g, ' '), opts: f[5] ?? '' };
      });
    const mountOf = (p: string) =>
      mounts.filter((m) => p === m.point || p.startsWith(m.point === '/' ? '/' : `${m.point}/`)).sort((a, b) => b.point.length - a.point.length)[0];
    const nnp = statusField('NoNewPrivs') === '1';
    if (setuid.length === 0) {
      probes.push(
        record(
          'setuid',
          'find a setuid binary among common ones',
          'setuid bits are not honoured (nosuid mount, no_new_privs)',
          'no setuid binary found to test against',
          null,
          'NOT_RUN',
        ),
      );
    } else {
      const detail = setuid.map((p) => `${p} on ${mountOf(p)?.point ?? '?'} (${mountOf(p)?.opts ?? '?'})`);
      const nosuid = setuid.every((p) => (mountOf(p)?.opts ?? '').split(',').includes('nosuid'));
      probes.push(
        record(
          'setuid',
          `locate setuid binaries (${setuid.length}) and the mount flags they live on`,
          'every setuid binary is on a nosuid mount and no_new_privs is set, so the bit gives nothing',
          `${detail.join('; ')}; no_new_privs=${nnp ? 1 : 0}`,
          null,
          nosuid && nnp ? 'PASS' : 'FAIL',
        ),
      );
    }
  }

  // 19. seccomp.
  {
    const mode = statusField('Seccomp');
    const unshareBin = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p));
    if (!cfg.seccompExpected && mode !== '2') {
      probes.push(
        record(
          'seccomp_filter',
          'read Seccomp in /proc/self/status',
          'a seccomp filter (mode 2)',
          `Seccomp: ${mode}; no filter exists for this architecture`,
          null,
          'NOT_RUN',
        ),
      );
    } else if (!unshareBin) {
      probes.push(
        record(
          'seccomp_filter',
          'read Seccomp; try unshare(CLONE_NEWUSER)',
          'mode 2 and unshare refused',
          `Seccomp: ${mode}; no unshare binary to try`,
          null,
          'NOT_RUN',
        ),
      );
    } else {
      const r = spawnSync(unshareBin, ['--user', '--map-root-user', '/bin/true'], { encoding: 'utf8', timeout: 5000 });
      const refused = r.status !== 0;
      probes.push(
        record(
          'seccomp_filter',
          `read Seccomp in /proc/self/status; run ${unshareBin} --user (a new user namespace)`,
          'Seccomp: 2 and the new namespace refused (EPERM)',
          `Seccomp: ${mode}; unshare: ${(r.stderr || r.error?.message || '').trim() || `exit ${r.status}`}`,
          r.status ?? null,
          mode === '2' && refused ? 'PASS' : 'FAIL',
        ),
      );
    }
  }

  // 20. Devices.
  {
    const allowed = new Set([
      'null',
      'zero',
      'full',
      'random',
      'urandom',
      'tty',
      'pts',
      'ptmx',
      'shm',
      'fd',
      'stdin',
      'stdout',
      'stderr',
      'core',
      'console',
      'mqueue',
    ]);
    const entries = readdirSync('/dev');
    const extra = entries.filter((e) => !allowed.has(e));
    probes.push(
      record(
        'devices',
        'list /dev',
        'only the minimal devices (null zero full random urandom tty pts ptmx shm fd std*)',
        entries.sort().join(','),
        null,
        extra.length ? 'FAIL' : 'PASS',
      ),
    );
  }

  const out: ProbeOutput = {
    probes,
    raw: { mountinfo: readText('/proc/self/mountinfo'), env_keyset: envKeys, proc_net_dev: readText('/proc/net/dev') },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`probe program failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
