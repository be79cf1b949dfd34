/**
 * Checks of the host: model endpoint (a real HTTP server), repository hooks (a real git repo),
 * sshd -T, firewall, Tailscale, the systemd user bus and the live port audit. Tools this machine
 * does not have or cannot run as the check needs (tailscale, ufw/nft/iptables, a systemd user
 * manager, an sshd -T with given output) are stub scripts on PATH, and the tests say so.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { readIptables, readNft, readUfw } from '../src/checks/firewall.js';
import { runDoctor } from '../src/run.js';
import { fails, prints, stubBin } from './stubs.js';

async function check(id: string, opts: { path?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const home = testdir();
  const env = { PATH: opts.path ?? process.env.PATH ?? '/usr/bin:/bin', HOME: home, OPENCLAW_HOME: join(home, '.openclaw'), ...opts.env };
  const r = await runDoctor({ env, cwd: opts.cwd ?? home, only: [id] });
  return r.checks[0] as NonNullable<(typeof r.checks)[0]>;
}
const withStubs = (scripts: Record<string, string>) => `${stubBin(scripts)}:${process.env.PATH}`;
/** Only the stubs on PATH, so a tool that is not stubbed is really missing. */
const onlyStubs = (scripts: Record<string, string>) => stubBin(scripts);

describe('model.endpoint (a real HTTP server on loopback)', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());
  const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
    new Promise<string>((resolve) => {
      const s = createServer(handler);
      server = s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`));
    });

  it('200 with a model list: pass, counting the models', async () => {
    const base = await serve((req, res) => {
      res.writeHead(req.url === '/v1/models' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 'a' }, { id: 'b' }] }));
    });
    expect(await check('model.endpoint', { env: { OPENCLAW_MODEL_API_BASE: base } })).toMatchObject({
      status: 'pass',
      detail: `${base}/models answered HTTP 200, 2 models`,
    });
  });

  it('401: reachable, wants a key — pass', async () => {
    const base = await serve((_q, res) => {
      res.writeHead(401);
      res.end();
    });
    expect((await check('model.endpoint', { env: { OPENCLAW_MODEL_API_BASE: `${base}/` } })).status).toBe('pass');
  });

  it('404: warn', async () => {
    const base = await serve((_q, res) => {
      res.writeHead(404);
      res.end();
    });
    expect(await check('model.endpoint', { env: { OPENCLAW_MODEL_API_BASE: base } })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/HTTP 404/),
    });
  });

  it('a server that never answers: warn after the bound', async () => {
    const base = await serve(() => {});
    expect(await check('model.endpoint', { env: { OPENCLAW_MODEL_API_BASE: base } })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/no answer within 500 ms/),
    });
  });

  it('nothing listening: warn, connection refused', async () => {
    const base = await serve(() => {});
    server?.close();
    expect(await check('model.endpoint', { env: { OPENCLAW_MODEL_API_BASE: base } })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/connection refused/),
    });
  });

  it('not a URL: fail', async () => {
    expect(await check('model.endpoint', { env: { OPENCLAW_MODEL_API_BASE: 'ftp://x' } })).toMatchObject({ status: 'fail' });
  });
});

describe('repo.hooks (real git repositories)', () => {
  const repo = () => {
    const dir = testdir();
    execFileSync('git', ['init', '-q', dir]);
    return dir;
  };

  it('not a repository: skip', async () => {
    expect((await check('repo.hooks')).status).toBe('skip');
  });

  it('.githooks present but core.hooksPath unset: warn with the command', async () => {
    const dir = repo();
    mkdirSync(join(dir, '.githooks'));
    expect(await check('repo.hooks', { cwd: dir })).toMatchObject({ status: 'warn', remediation: `git -C ${dir} config core.hooksPath .githooks` });
  });

  it('core.hooksPath .githooks with an executable pre-push: pass', async () => {
    const dir = repo();
    mkdirSync(join(dir, '.githooks'));
    writeFileSync(join(dir, '.githooks/pre-push'), '#!/bin/sh\nexec openclaw review gate\n');
    chmodSync(join(dir, '.githooks/pre-push'), 0o755);
    execFileSync('git', ['-C', dir, 'config', 'core.hooksPath', '.githooks']);
    expect(await check('repo.hooks', { cwd: dir })).toMatchObject({ status: 'pass' });
  });

  it('no pre-push hook: warn, naming the command that installs one', async () => {
    const dir = repo();
    expect(await check('repo.hooks', { cwd: dir })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/no executable pre-push hook/),
      remediation: expect.stringMatching(/^openclaw hooks install --repo /),
    });
  });
});

describe('sshd.config (stub sshd printing given `sshd -T` output; the real sshd is tested in fix-ssh)', () => {
  const T = (lines: string) => `port 22\naddressfamily any\n${lines}\npasswordauthentication no\npermitrootlogin prohibit-password\npermitemptypasswords no`;
  it.each<[string, string, string, RegExp]>([
    [
      'Debian defaults: every address',
      'fail',
      T('listenaddress [::]:22\nlistenaddress 0.0.0.0:22'),
      /listens on \[::\]:22, 0\.0\.0\.0:22 \(public or every address\)/,
    ],
    ['the tailnet address only', 'pass', T('listenaddress 100.101.102.103:22'), /listens on 100\.101\.102\.103:22/],
    ['loopback and tailnet', 'pass', T('listenaddress 127.0.0.1:22\nlistenaddress 100.101.102.103:2222'), /127\.0\.0\.1:22, 100\.101\.102\.103:2222/],
    ['a LAN address', 'warn', T('listenaddress 192.168.1.20:22'), /on the LAN: 192\.168\.1\.20:22/],
    ['a public address', 'fail', T('listenaddress 203.0.113.10:22'), /203\.0\.113\.10:22/],
    [
      'password logins',
      'warn',
      'listenaddress 100.101.102.103:22\npasswordauthentication yes\npermitrootlogin yes',
      /PasswordAuthentication yes; PermitRootLogin yes/,
    ],
    ['empty passwords', 'fail', 'listenaddress 100.101.102.103:22\npermitemptypasswords yes', /PermitEmptyPasswords yes/],
  ])('%s → %s', async (_name, status, out, detail) => {
    const c = await check('sshd.config', { path: withStubs({ sshd: prints(out), systemctl: prints('inactive', 3) }) });
    expect(c.status).toBe(status);
    expect(c.detail).toMatch(detail);
    if (status === 'fail' && /listens/.test(c.detail)) expect(c.remediation).toMatch(/openclaw fix-ssh/);
  });

  it('ssh.socket active (stub systemctl): fail whatever ListenAddress says', async () => {
    const c = await check('sshd.config', { path: withStubs({ sshd: prints(T('listenaddress 100.101.102.103:22')), systemctl: prints('active') }) });
    expect(c).toMatchObject({ status: 'fail', detail: expect.stringMatching(/ssh\.socket is active/) });
    expect(c.evidence.socket_activation).toBe(true);
  });

  it.each<[string, string, string, RegExp]>([
    ['no /run/sshd', 'unknown', 'Missing privilege separation directory: /run/sshd', /mkdir -m 0755 \/run\/sshd/],
    [
      'a broken config',
      'fail',
      '/etc/ssh/sshd_config line 3: Bad configuration option: Listenadress\n/etc/ssh/sshd_config: terminating, 1 bad configuration options',
      /sshd -t shows the line/,
    ],
  ])('sshd -T fails: %s → %s', async (_name, status, stderr, remediation) => {
    const c = await check('sshd.config', { path: withStubs({ sshd: fails(stderr, 255), systemctl: prints('inactive', 3) }) });
    expect(c.status).toBe(status);
    expect(c.remediation).toMatch(remediation);
  });
});

describe('firewall', () => {
  it.each<[string, ReturnType<typeof readUfw>]>([
    [
      'Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n',
      { tool: 'ufw', defaultDeny: true, summary: 'ufw active, incoming deny' },
    ],
    ['Status: active\nDefault: allow (incoming), allow (outgoing)\n', { tool: 'ufw', defaultDeny: false, summary: 'ufw active, incoming allow' }],
    ['Status: inactive\n', undefined],
  ])('ufw %#', (out, want) => expect(readUfw(out)).toEqual(want));

  it.each<[string, boolean | undefined]>([
    [
      'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established,related accept\n\t\tiifname "tailscale0" accept\n\t}\n}',
      true,
    ],
    ['table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tiif "lo" accept\n\t\tdrop\n\t}\n}', true],
    ['table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}', false],
    ['table ip nat {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t}\n}', undefined],
  ])('nft %#', (out, deny) => expect(readNft(out)?.defaultDeny).toBe(deny));

  it.each<[string, boolean]>([
    ['-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n', true],
    ['-P INPUT ACCEPT\n-A INPUT -i tailscale0 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp-port-unreachable\n', true],
    ['-P INPUT ACCEPT\n', false],
    ['-P INPUT ACCEPT\n-A INPUT -j DROP\n-A INPUT -i lo -j ACCEPT\n', false],
  ])('iptables %#', (out, deny) => expect(readIptables(out)?.defaultDeny).toBe(deny));

  it('no firewall tool installed: unknown, says it cannot read the rules', async () => {
    expect(await check('firewall', { path: onlyStubs({}) })).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/no firewall tool/) });
  });

  it('stub ufw deny incoming: pass; stub iptables accepting everything: warn', async () => {
    expect((await check('firewall', { path: onlyStubs({ ufw: prints('Status: active\nDefault: deny (incoming), allow (outgoing)') }) })).status).toBe('pass');
    expect(await check('firewall', { path: onlyStubs({ iptables: prints('-P INPUT ACCEPT') }) })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/accepted by default/),
    });
  });

  it('stub nft that needs root: unknown with why', async () => {
    const c = await check('firewall', { path: onlyStubs({ nft: fails('Operation not permitted (you must be root)') }) });
    expect(c).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/Operation not permitted/) });
  });
});

describe('tailscale (stub tailscale: no tailscaled on this machine)', () => {
  const status = (o: object) => prints(JSON.stringify(o));
  it.each<[string, string, string, RegExp]>([
    [
      'running with a TUN device',
      'pass',
      status({ BackendState: 'Running', TUN: true, Self: { DNSName: 'vps.tail1234.ts.net.', TailscaleIPs: ['100.101.102.103'] } }),
      /Running as vps\.tail1234\.ts\.net with 100\.101\.102\.103/,
    ],
    ['userspace networking', 'warn', status({ BackendState: 'Running', TUN: false, Self: { TailscaleIPs: ['100.101.102.103'] } }), /userspace networking/],
    ['logged out', 'warn', status({ BackendState: 'NeedsLogin', TUN: true }), /NeedsLogin, not Running/],
    ['daemon down', 'warn', fails("failed to connect to local tailscaled; it doesn't appear to be running"), /failed to connect to local tailscaled/],
  ])('%s → %s', async (_name, st, script, detail) => {
    const c = await check('tailscale', { path: withStubs({ tailscale: script }) });
    expect(c.status).toBe(st);
    expect(c.detail).toMatch(detail);
  });

  it('not installed: warn with how to install', async () => {
    expect(await check('tailscale', { path: onlyStubs({}) })).toMatchObject({ status: 'warn', remediation: expect.stringMatching(/tailscale up/) });
  });
});

describe('systemd.user-bus', () => {
  it('stub systemctl: running → pass, degraded → warn', async () => {
    expect((await check('systemd.user-bus', { path: withStubs({ systemctl: prints('running') }) })).status).toBe('pass');
    expect((await check('systemd.user-bus', { path: withStubs({ systemctl: prints('degraded', 1) }) })).status).toBe('warn');
  });

  it('this machine (no systemd as PID 1): warn, naming the fallback', async () => {
    const c = await check('systemd.user-bus');
    expect(c.status).toBe('warn');
    expect(c.detail).toMatch(/falls back to a background worker/);
  });
});

describe('ports.public from live tools', () => {
  it('stub ss: its output is audited', async () => {
    const c = await check('ports.public', {
      path: withStubs({
        ss: prints('State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))'),
      }),
    });
    expect(c).toMatchObject({ status: 'fail', evidence: { source: 'ss -tlnp', sshd_public: true } });
    expect(c.evidence.listeners).toEqual([expect.objectContaining({ address: '0.0.0.0', port: 22, process: 'sshd', tier: 'public', verdict: 'violation' })]);
  });

  it('no ss: netstat -tlnpW (stub) is used instead', async () => {
    const c = await check('ports.public', {
      path: onlyStubs({
        netstat: prints(
          'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\ntcp        0      0 127.0.0.1:5432          0.0.0.0:*               LISTEN      7/postgres',
        ),
      }),
    });
    expect(c).toMatchObject({ status: 'pass', evidence: { source: 'netstat -tlnpW', formats: ['netstat'] } });
  });

  it('a failing ss and netstat (stubs), then lsof (stub) answers', async () => {
    const c = await check('ports.public', {
      path: onlyStubs({
        ss: fails('ss: cannot open netlink socket', 1),
        netstat: fails('netstat: invalid option -- W', 1),
        lsof: prints('COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\nsshd 1 root 3u IPv4 10 0t0 TCP *:22 (LISTEN)'),
      }),
    });
    expect(c).toMatchObject({ status: 'fail', evidence: { source: 'lsof +c 0 -nP -iTCP -sTCP:LISTEN', sshd_public: true } });
  });

  it('no listener tool at all: unknown, naming what was tried', async () => {
    const c = await check('ports.public', { path: onlyStubs({}) });
    expect(c).toMatchObject({ status: 'unknown', detail: 'no listener tool worked: ss not installed; netstat not installed; lsof not installed' });
  });

  it('ss printing something unreadable: unknown, with the line', async () => {
    const c = await check('ports.public', { path: withStubs({ ss: prints('Segmentation fault') }) });
    expect(c).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/cannot read the output of ss -tlnp: line 1/) });
  });
});
