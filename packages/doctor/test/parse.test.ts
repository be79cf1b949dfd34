/**
 * The listener parsers and the audit, one capture line (or a few) per case: every form of ss,
 * netstat and lsof output SPEC §7 names, and what the audit concludes from each.
 */
import { describe, expect, it } from 'vitest';
import { auditCapture, auditListener } from '../src/ports/audit.js';
import { CaptureParseError, parseEndpoint, parseListeners } from '../src/ports/parse.js';

const SS_HEAD = 'State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess';
const NETSTAT_HEAD =
  'Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name';
const LSOF_HEAD = 'COMMAND    PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME';

interface Row {
  endpoint: string;
  process: string | null;
  tier: string;
  verdict: string;
}

const audit = (text: string): Row[] =>
  parseListeners(text).listeners.map((l) => {
    const a = auditListener(l);
    return { endpoint: a.endpoint, process: a.process, tier: a.tier, verdict: a.verdict };
  });

describe('one listener per form', () => {
  it.each<[string, string, Row]>([
    [
      'ss with header',
      `${SS_HEAD}\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))`,
      { endpoint: '0.0.0.0:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss -H',
      'LISTEN 0      5      127.0.0.1:18789 0.0.0.0:* users:(("node",pid=15835,fd=3))',
      { endpoint: '127.0.0.1:18789', process: 'node', tier: 'local', verdict: 'ok' },
    ],
    [
      'ss -tulpn Netid',
      'tcp   LISTEN 0  5  192.168.1.20:6379  0.0.0.0:*  users:(("redis",pid=2,fd=3))',
      { endpoint: '192.168.1.20:6379', process: 'redis', tier: 'lan', verdict: 'warn' },
    ],
    [
      'ss %lo outside brackets',
      'LISTEN 0 5 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=3,fd=3))',
      { endpoint: '127.0.0.53%lo:53', process: 'systemd-resolve', tier: 'local', verdict: 'ok' },
    ],
    [
      'ss 0.0.0.0%tailscale0',
      'LISTEN 0 5 0.0.0.0%tailscale0:8443 0.0.0.0:* users:(("caddy",pid=4,fd=3))',
      { endpoint: '0.0.0.0%tailscale0:8443', process: 'caddy', tier: 'tailnet', verdict: 'ok' },
    ],
    [
      'ss [::]%tailscale0',
      'LISTEN 0 128 [::]%tailscale0:8444 [::]:* users:(("caddy6",pid=5,fd=3))',
      { endpoint: '[::]%tailscale0:8444', process: 'caddy6', tier: 'tailnet', verdict: 'ok' },
    ],
    [
      'ss *%eth0 dual-stack on a device',
      'LISTEN 0 128 *%eth0:8445 *:* users:(("web",pid=6,fd=3))',
      { endpoint: '*%eth0:8445', process: 'web', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss [fe80::1]%eth0 link-local',
      'LISTEN 0 128 [fe80::1]%eth0:2222 [::]:* users:(("ll",pid=7,fd=3))',
      { endpoint: '[fe80::1]%eth0:2222', process: 'll', tier: 'lan', verdict: 'warn' },
    ],
    [
      'ss %dev inside brackets',
      'LISTEN 0 128 [fe80::1%eth0]:2222 [::]:* users:(("ll",pid=7,fd=3))',
      { endpoint: '[fe80::1]%eth0:2222', process: 'll', tier: 'lan', verdict: 'warn' },
    ],
    [
      'ss %lo inside brackets',
      'LISTEN 0 128 [::%lo]:9090 [::]:* users:(("prom",pid=7,fd=3))',
      { endpoint: '[::]%lo:9090', process: 'prom', tier: 'local', verdict: 'ok' },
    ],
    [
      'ss *:P dual-stack',
      'LISTEN 0 5 *:8080 *:* users:(("python3",pid=8,fd=3))',
      { endpoint: '*:8080', process: 'python3', tier: 'public', verdict: 'violation' },
    ],
    ['ss [::]:P', 'LISTEN 0 5 [::]:22 [::]:* users:(("sshd",pid=9,fd=4))', { endpoint: '[::]:22', process: 'sshd', tier: 'public', verdict: 'violation' }],
    [
      'ss IPv4-mapped loopback',
      'LISTEN 0 5 [::ffff:127.0.0.1]:3000 *:* users:(("grafana",pid=10,fd=3))',
      { endpoint: '[::ffff:127.0.0.1]:3000', process: 'grafana', tier: 'local', verdict: 'ok' },
    ],
    [
      'ss IPv4-mapped public',
      'LISTEN 0 5 [::ffff:203.0.113.10]:3001 *:* users:(("app",pid=11,fd=3))',
      { endpoint: '[::ffff:203.0.113.10]:3001', process: 'app', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss long tailnet IPv6',
      'LISTEN 0 128 [fd7a:115c:a1e0:ab12:4843:cd96:6258:b240]:41002 [::]:* users:(("tailscaled",pid=12,fd=3))',
      { endpoint: '[fd7a:115c:a1e0:ab12:4843:cd96:6258:b240]:41002', process: 'tailscaled', tier: 'tailnet', verdict: 'ok' },
    ],
    [
      'ss unbracketed IPv6 (old iproute2)',
      'LISTEN 0 128 :::22 :::* users:(("sshd",pid=13,fd=4))',
      { endpoint: '[::]:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss several processes on one socket',
      'LISTEN 0 128 0.0.0.0:9999 0.0.0.0:* users:(("gunicorn",pid=20,fd=5),("gunicorn",pid=21,fd=5),("gunicorn",pid=22,fd=5))',
      { endpoint: '0.0.0.0:9999', process: 'gunicorn', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss a process name with spaces',
      'LISTEN 0 128 127.0.0.1:8000 0.0.0.0:* users:(("web server",pid=23,fd=3))',
      { endpoint: '127.0.0.1:8000', process: 'web server', tier: 'local', verdict: 'ok' },
    ],
    [
      'ss -e extra columns',
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=3519,fd=3)) ino:72543 sk:1001 cgroup:/ <->',
      { endpoint: '0.0.0.0:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss tailscaled on the wildcard',
      'LISTEN 0 128 0.0.0.0:41641 0.0.0.0:* users:(("tailscaled",pid=24,fd=7))',
      { endpoint: '0.0.0.0:41641', process: 'tailscaled', tier: 'public', verdict: 'ok' },
    ],
    [
      'ss tailscaled on a public address',
      'LISTEN 0 128 203.0.113.10:443 0.0.0.0:* users:(("tailscaled",pid=24,fd=8))',
      { endpoint: '203.0.113.10:443', process: 'tailscaled', tier: 'public', verdict: 'ok' },
    ],
    [
      'ss tailscaled sharing with another program',
      'LISTEN 0 128 0.0.0.0:80 0.0.0.0:* users:(("tailscaled",pid=24,fd=9),("nginx",pid=25,fd=3))',
      { endpoint: '0.0.0.0:80', process: 'tailscaled,nginx', tier: 'public', verdict: 'violation' },
    ],
    [
      'ss no process column (not root), public',
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*',
      { endpoint: '0.0.0.0:22', process: null, tier: 'public', verdict: 'unknown' },
    ],
    ['ss no process column, LAN', 'LISTEN 0 128 10.0.0.5:5432 0.0.0.0:*', { endpoint: '10.0.0.5:5432', process: null, tier: 'lan', verdict: 'unknown' }],
    ['ss no process column, loopback', 'LISTEN 0 128 127.0.0.1:5432 0.0.0.0:*', { endpoint: '127.0.0.1:5432', process: null, tier: 'local', verdict: 'ok' }],
    [
      'ss CRLF line ending',
      'LISTEN 0 5 127.0.0.1:1 0.0.0.0:* users:(("x",pid=1,fd=3))\r',
      { endpoint: '127.0.0.1:1', process: 'x', tier: 'local', verdict: 'ok' },
    ],
    [
      'netstat IPv4 wildcard',
      `${NETSTAT_HEAD}\ntcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      15833/sshd`,
      { endpoint: '0.0.0.0:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'netstat without header',
      'tcp6       0      0 :::8080                 :::*                    LISTEN      15839/python3',
      { endpoint: '[::]:8080', process: 'python3', tier: 'public', verdict: 'violation' },
    ],
    [
      'netstat tcp6 IPv4-mapped shown as IPv4',
      `${NETSTAT_HEAD}\ntcp6       0      0 127.0.0.1:3000          :::*                    LISTEN      15849/grafana`,
      { endpoint: '127.0.0.1:3000', process: 'grafana', tier: 'local', verdict: 'ok' },
    ],
    [
      'netstat command line for a name',
      `${NETSTAT_HEAD}\ntcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      3519/sshd: /usr/sbi`,
      { endpoint: '0.0.0.0:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'netstat no PID (not root)',
      `${NETSTAT_HEAD}\ntcp        0      0 0.0.0.0:2024            0.0.0.0:*               LISTEN      -`,
      { endpoint: '0.0.0.0:2024', process: null, tier: 'public', verdict: 'unknown' },
    ],
    [
      'netstat address cut short, still tailnet',
      `${NETSTAT_HEAD}\ntcp6       0      0 fd7a:115c:a1e0:ab:41002 :::*                    LISTEN      3518/tailscaled`,
      { endpoint: '[fd7a:115c:a1e0::]:41002', process: 'tailscaled', tier: 'tailnet', verdict: 'ok' },
    ],
    [
      'netstat -W long address',
      `${NETSTAT_HEAD}\ntcp6       0      0 fd7a:115c:a1e0:ab12:4843:cd96:6258:b240:41002 :::*                    LISTEN      3518/python3`,
      { endpoint: '[fd7a:115c:a1e0:ab12:4843:cd96:6258:b240]:41002', process: 'python3', tier: 'tailnet', verdict: 'ok' },
    ],
    [
      'lsof IPv4 *:P',
      `${LSOF_HEAD}\nsshd      3234 root    3u  IPv4  70423      0t0  TCP *:22 (LISTEN)`,
      { endpoint: '0.0.0.0:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'lsof IPv6 *:P',
      `${LSOF_HEAD}\nsshd      3235 root    3u  IPv6  71565      0t0  TCP *:22 (LISTEN)`,
      { endpoint: '[::]:22', process: 'sshd', tier: 'public', verdict: 'violation' },
    ],
    [
      'lsof bracketed IPv6 loopback',
      `${LSOF_HEAD}\npostgres  3237 root    3u  IPv6  71574      0t0  TCP [::1]:5432 (LISTEN)`,
      { endpoint: '[::1]:5432', process: 'postgres', tier: 'local', verdict: 'ok' },
    ],
    [
      'lsof name cut at 9 characters: may be tailscaled',
      `${LSOF_HEAD}\ntailscale 3245 root    3u  IPv4  71568      0t0  TCP *:41641 (LISTEN)`,
      { endpoint: '0.0.0.0:41641', process: 'tailscale', tier: 'public', verdict: 'unknown' },
    ],
    [
      'lsof +c 0 full names',
      'COMMAND     PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME\ntailscaled 3518 root    3u  IPv4  72836      0t0  TCP *:41641 (LISTEN)',
      { endpoint: '0.0.0.0:41641', process: 'tailscaled', tier: 'public', verdict: 'ok' },
    ],
  ])('%s', (_name, text, want) => {
    expect(audit(text)).toEqual([want]);
  });
});

describe('what each capture cannot show', () => {
  it('lsof rows of one socket (same DEVICE) merge into one listener with every process', () => {
    const text = `${LSOF_HEAD}\nforker    3244 root    3u  IPv4  70439      0t0  TCP *:9999 (LISTEN)\nforker    3246 root    3u  IPv4  70439      0t0  TCP *:9999 (LISTEN)`;
    const c = parseListeners(text);
    expect(c.listeners).toHaveLength(1);
    expect(c.listeners[0]?.processes?.map((p) => p.pid)).toEqual([3244, 3246]);
  });

  it('netstat wildcards say device bindings cannot be seen', () => {
    const a = auditCapture(parseListeners(`${NETSTAT_HEAD}\ntcp        0      0 0.0.0.0:8443            0.0.0.0:*               LISTEN      15851/caddy`));
    expect(a.listeners[0]?.verdict).toBe('violation');
    expect(a.listeners[0]?.why).toMatch(/netstat does not show device bindings/);
    expect(a.notes.join(' ')).toMatch(/device bindings/);
    expect(a.notes.join(' ')).toMatch(/IPv4-mapped/);
  });

  it('a capture without processes is never a pass, even if everything is local', () => {
    const a = auditCapture(parseListeners(`${SS_HEAD}\nLISTEN 0 128 127.0.0.1:5432 0.0.0.0:*\nLISTEN 0 128 [::1]:5432 [::]:*`));
    expect(a.listeners.map((l) => l.verdict)).toEqual(['ok', 'ok']);
    expect(a.status).toBe('unknown');
  });

  it('netstat run without root says so; the note is kept', () => {
    const text = `(No info could be read for "-p": geteuid()=65534 but you should be root.)\n${NETSTAT_HEAD}\ntcp        0      0 0.0.0.0:2024            0.0.0.0:*               LISTEN      -`;
    const c = parseListeners(text);
    expect(c.listeners).toHaveLength(1);
    expect(c.notes[0]).toMatch(/should be root/);
  });

  it('UDP sockets and connections are counted, not audited', () => {
    const text = [
      'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess',
      'udp   UNCONN 0      0            0.0.0.0:68        0.0.0.0:*    users:(("dhclient",pid=9,fd=6))',
      'tcp   ESTAB  0      0       10.0.0.5:22      10.0.0.9:5000  users:(("sshd",pid=10,fd=4))',
      'tcp   LISTEN 0      128     127.0.0.1:631      0.0.0.0:*    users:(("cupsd",pid=11,fd=7))',
    ].join('\n');
    const c = parseListeners(text);
    expect(c.listeners.map((l) => l.port)).toEqual([631]);
    expect(c.skipped).toEqual({ udp: 1, notListening: 1, other: 0 });
  });

  it('a socket-activated :22 held by systemd counts as sshd', () => {
    const a = auditCapture(parseListeners('LISTEN 0 4096 *:22 *:* users:(("systemd",pid=1,fd=50))'));
    expect(a.sshd_public).toBe(true);
    expect(a.listeners[0]?.why).toMatch(/ssh\.socket/);
    // systemd on another port is just systemd
    expect(auditCapture(parseListeners('LISTEN 0 4096 *:5355 *:* users:(("systemd",pid=1,fd=51))')).sshd_public).toBe(false);
  });

  it('sshd on the tailnet or loopback is not public', () => {
    const a = auditCapture(
      parseListeners('LISTEN 0 128 100.101.102.103:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\nLISTEN 0 128 127.0.0.1:22 0.0.0.0:* users:(("sshd",pid=1,fd=4))'),
    );
    expect(a.sshd_public).toBe(false);
    expect(a.status).toBe('pass');
  });

  it('sshd on the LAN warns but is not public', () => {
    const a = auditCapture(parseListeners('LISTEN 0 128 192.168.1.20:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))'));
    expect(a.sshd_public).toBe(false);
    expect(a.status).toBe('warn');
  });

  it('an empty ss -H capture is no listeners, a pass', () => {
    const a = auditCapture(parseListeners(''));
    expect(a.listeners).toEqual([]);
    expect(a.status).toBe('pass');
  });

  it('a header switches formats: two captures in one file', () => {
    const c = parseListeners(
      `${SS_HEAD}\nLISTEN 0 5 127.0.0.1:1 0.0.0.0:* users:(("a",pid=1,fd=3))\n${NETSTAT_HEAD}\ntcp 0 0 127.0.0.1:2 0.0.0.0:* LISTEN 2/b`,
    );
    expect(c.formats).toEqual(['ss', 'netstat']);
    expect(c.listeners.map((l) => l.port)).toEqual([1, 2]);
  });
});

describe('garbage is a clear error, naming the line', () => {
  it.each<[string, string, RegExp]>([
    ['prose', 'hello world\n', /line 1: not a listener capture/],
    ['a JSON document', '{"listeners": []}', /line 1: not a listener capture/],
    ['binary', 'LISTEN\0\0\x01', /binary data/],
    ['ss row with a bad address', `${SS_HEAD}\nLISTEN 0 5 localhost:22 0.0.0.0:*`, /line 2: unreadable local address "localhost:22"/],
    ['ss row with a port out of range', 'LISTEN 0 5 0.0.0.0:70000 0.0.0.0:*', /line 1: unreadable local address/],
    ['ss row cut short', `${SS_HEAD}\nLISTEN 0 5`, /line 2: not an ss row/],
    ['ss row with a broken process column', 'LISTEN 0 5 0.0.0.0:22 0.0.0.0:* users:((sshd))', /unreadable process column/],
    ['ss with a stray line', `${SS_HEAD}\nLISTEN 0 5 127.0.0.1:1 0.0.0.0:*\ntotal 42`, /line 3: not an ss row/],
    ['netstat row with a bad PID/Program', `${NETSTAT_HEAD}\ntcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN sshd`, /line 3: unreadable PID\/Program/],
    ['netstat tcp row without state', `${NETSTAT_HEAD}\ntcp 0 0 0.0.0.0:22 0.0.0.0:*`, /line 3: a tcp row without a state/],
    ['lsof row with a bad type', `${LSOF_HEAD}\nsshd 1 root 3u unix 0x1 0t0 TCP *:22 (LISTEN)`, /line 2: not an lsof row/],
    ['a line over 64 KiB', `LISTEN 0 5 127.0.0.1:1 0.0.0.0:* users:(("${'x'.repeat(70_000)}",pid=1,fd=3))`, /longer than 65536/],
  ])('%s', (_name, text, message) => {
    expect(() => parseListeners(text)).toThrow(CaptureParseError);
    expect(() => parseListeners(text)).toThrow(message);
  });

  it('endpoint forms that are not endpoints', () => {
    for (const bad of ['22', ':22', '0.0.0.0:', '0.0.0.0:x', '[::1:22', '[::1]x:22', '0.0.0.0%:22', '[fe80::1%eth0]%eth1:22'])
      expect(parseEndpoint(bad), bad).toBeUndefined();
  });
});
