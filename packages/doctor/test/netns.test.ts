/**
 * Real listeners on every tier, in a network namespace (netns-host.mjs), captured with ss (three
 * forms), netstat, lsof and ss as a non-root user: the verdict of every listener in every format.
 * The captures committed in fixtures/listeners/netns-*.txt are checked always; as root, the host is
 * built again and the fresh captures must give the same verdicts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditCapture } from '../src/ports/audit.js';
import { parseListeners } from '../src/ports/parse.js';

type View = [endpoint: string, process: string | null, tier: string, verdict: string];
interface Expected {
  ss: View;
  netstat: View;
  lsof: View;
}

// What each tool shows of each listener, and the verdict the audit must reach from it.
const MIXED: Expected[] = [
  {
    ss: ['127.0.0.53%lo:53', 'systemd-resolve', 'local', 'ok'],
    netstat: ['127.0.0.53:53', 'python3', 'local', 'ok'],
    lsof: ['127.0.0.53:53', 'systemd-r', 'local', 'ok'],
  },
  { ss: ['127.0.0.1:18789', 'node', 'local', 'ok'], netstat: ['127.0.0.1:18789', 'node', 'local', 'ok'], lsof: ['127.0.0.1:18789', 'node', 'local', 'ok'] },
  {
    ss: ['0.0.0.0:22', 'sshd', 'public', 'violation'],
    netstat: ['0.0.0.0:22', 'sshd', 'public', 'violation'],
    lsof: ['0.0.0.0:22', 'sshd', 'public', 'violation'],
  },
  { ss: ['[::]:22', 'sshd', 'public', 'violation'], netstat: ['[::]:22', 'sshd', 'public', 'violation'], lsof: ['[::]:22', 'sshd', 'public', 'violation'] },
  {
    ss: ['127.0.0.1:8000', 'web server', 'local', 'ok'],
    netstat: ['127.0.0.1:8000', 'web server', 'local', 'ok'],
    lsof: ['127.0.0.1:8000', 'web se', 'local', 'ok'],
  },
  {
    ss: ['192.168.1.20:6379', 'redis', 'lan', 'warn'],
    netstat: ['192.168.1.20:6379', 'redis', 'lan', 'warn'],
    lsof: ['192.168.1.20:6379', 'redis', 'lan', 'warn'],
  },
  {
    ss: ['203.0.113.10:443', 'nginx', 'public', 'violation'],
    netstat: ['203.0.113.10:443', 'nginx', 'public', 'violation'],
    lsof: ['203.0.113.10:443', 'nginx', 'public', 'violation'],
  },
  {
    ss: ['0.0.0.0:9999', 'gunicorn', 'public', 'violation'],
    netstat: ['0.0.0.0:9999', 'python3', 'public', 'violation'],
    lsof: ['0.0.0.0:9999', 'gunicorn', 'public', 'violation'],
  },
  {
    ss: ['100.101.102.103:41000', 'tailscaled', 'tailnet', 'ok'],
    netstat: ['100.101.102.103:41000', 'tailscaled', 'tailnet', 'ok'],
    lsof: ['100.101.102.103:41000', 'tailscale', 'tailnet', 'ok'],
  },
  // tailscaled may hold the wildcard; lsof's 9-character name cannot prove it is tailscaled
  {
    ss: ['0.0.0.0:41641', 'tailscaled', 'public', 'ok'],
    netstat: ['0.0.0.0:41641', 'tailscaled', 'public', 'ok'],
    lsof: ['0.0.0.0:41641', 'tailscale', 'public', 'unknown'],
  },
  // bound to tailscale0: only ss shows it; netstat and lsof see a wildcard
  {
    ss: ['0.0.0.0%tailscale0:8443', 'caddy', 'tailnet', 'ok'],
    netstat: ['0.0.0.0:8443', 'python3', 'public', 'violation'],
    lsof: ['0.0.0.0:8443', 'caddy', 'public', 'violation'],
  },
  {
    ss: ['[::]%tailscale0:8444', 'caddy6', 'tailnet', 'ok'],
    netstat: ['[::]:8444', 'python3', 'public', 'violation'],
    lsof: ['[::]:8444', 'caddy6', 'public', 'violation'],
  },
  {
    ss: ['*%eth0:8445', 'dual-eth0', 'public', 'violation'],
    netstat: ['[::]:8445', 'python3', 'public', 'violation'],
    lsof: ['[::]:8445', 'dual-eth0', 'public', 'violation'],
  },
  {
    ss: ['[fe80::1]%eth0:2222', 'linklocal', 'lan', 'warn'],
    netstat: ['[fe80::1]:2222', 'python3', 'lan', 'warn'],
    lsof: ['[fe80::1]:2222', 'linklocal', 'lan', 'warn'],
  },
  {
    ss: ['*:8080', 'python3', 'public', 'violation'],
    netstat: ['[::]:8080', 'python3', 'public', 'violation'],
    lsof: ['[::]:8080', 'python3', 'public', 'violation'],
  },
  {
    ss: ['[::ffff:127.0.0.1]:3000', 'grafana', 'local', 'ok'],
    netstat: ['127.0.0.1:3000', 'grafana', 'local', 'ok'],
    lsof: ['127.0.0.1:3000', 'grafana', 'local', 'ok'],
  },
  {
    ss: ['[::ffff:203.0.113.10]:3001', 'mapped-pub', 'public', 'violation'],
    netstat: ['203.0.113.10:3001', 'mapped-pub', 'public', 'violation'],
    lsof: ['203.0.113.10:3001', 'mapped-pu', 'public', 'violation'],
  },
  {
    ss: ['[2001:db8::10]:8446', 'public6', 'public', 'violation'],
    netstat: ['[2001:db8::10]:8446', 'public6', 'public', 'violation'],
    lsof: ['[2001:db8::10]:8446', 'public6', 'public', 'violation'],
  },
  { ss: ['[::1]:5432', 'postgres', 'local', 'ok'], netstat: ['[::1]:5432', 'postgres', 'local', 'ok'], lsof: ['[::1]:5432', 'postgres', 'local', 'ok'] },
  {
    ss: ['[fd7a:115c:a1e0::1234]:41001', 'tailscaled', 'tailnet', 'ok'],
    netstat: ['[fd7a:115c:a1e0::1234]:41001', 'tailscaled', 'tailnet', 'ok'],
    lsof: ['[fd7a:115c:a1e0::1234]:41001', 'tailscale', 'tailnet', 'ok'],
  },
  {
    ss: ['[fd00::5]:9000', 'ula-app', 'lan', 'warn'],
    netstat: ['[fd00::5]:9000', 'ula-app', 'lan', 'warn'],
    lsof: ['[fd00::5]:9000', 'ula-app', 'lan', 'warn'],
  },
];

const view = (text: string) => {
  const a = auditCapture(parseListeners(text));
  return { audit: a, rows: a.listeners.map((l): View => [l.endpoint, l.process, l.tier, l.verdict]).sort() };
};

const sorted = (vs: View[]) => [...vs].sort();

function checkMixed(captures: Record<string, string>) {
  for (const form of ['ss -tlnp', 'ss -H -tlnp', 'ss -tulpn']) {
    const v = view(captures[form] as string);
    expect(v.rows, form).toEqual(sorted(MIXED.map((e) => e.ss)));
    expect(v.audit.sshd_public, form).toBe(true);
    expect(v.audit.status, form).toBe('fail');
  }
  expect(view(captures['netstat -tlnpW'] as string).rows).toEqual(sorted(MIXED.map((e) => e.netstat)));
  expect(view(captures['lsof -nP -iTCP -sTCP:LISTEN'] as string).rows).toEqual(sorted(MIXED.map((e) => e.lsof)));
  // As nobody, ss shows only nobody's own process: every verdict that depends on the owner is unknown.
  const nobody = view(captures['ss -tlnp (as nobody)'] as string);
  const expectNobody = MIXED.map((e): View => {
    const [endpoint, process, tier, verdict] = e.ss;
    if (process === 'web server') return [endpoint, process, tier, verdict];
    return [endpoint, null, tier, tier === 'local' || tier === 'tailnet' ? 'ok' : 'unknown'];
  });
  expect(nobody.rows).toEqual(sorted(expectNobody));
  expect(nobody.audit.status).toBe('unknown');
  expect(nobody.audit.sshd_public).toBe(false);
}

function checkSocketActivated(captures: Record<string, string>) {
  const ss = view(captures['ss -tlnp'] as string);
  expect(ss.rows).toContainEqual(['*:22', 'systemd', 'public', 'violation']);
  expect(ss.audit.sshd_public).toBe(true);
  const lsof = view(captures['lsof -nP -iTCP -sTCP:LISTEN'] as string);
  expect(lsof.rows).toContainEqual(['[::]:22', 'systemd', 'public', 'violation']);
  expect(lsof.audit.sshd_public).toBe(true);
}

const FIXTURES = join(import.meta.dirname, 'fixtures/listeners');
const FILES: Record<string, string> = {
  'ss -tlnp': 'ss-tlnp',
  'ss -H -tlnp': 'ss-H-tlnp',
  'ss -tulpn': 'ss-tulpn',
  'netstat -tlnpW': 'netstat-tlnpW',
  'lsof -nP -iTCP -sTCP:LISTEN': 'lsof',
  'ss -tlnp (as nobody)': 'ss-tlnp-nobody',
};
const committed = (host: string, forms: string[]) => Object.fromEntries(forms.map((f) => [f, readFileSync(join(FIXTURES, `${host}.${FILES[f]}.txt`), 'utf8')]));

describe('a real host in a network namespace: committed captures', () => {
  it('netns-host: every listener, every format', () => checkMixed(committed('netns-host', Object.keys(FILES))));
  it('netns-socket-activated: systemd on *:22 counts as sshd', () =>
    checkSocketActivated(committed('netns-socket-activated', ['ss -tlnp', 'lsof -nP -iTCP -sTCP:LISTEN'])));
});

const isRoot = process.getuid?.() === 0;

function buildHost(scenario: string): Record<string, string> {
  const out = execFileSync('unshare', ['--net', '--mount', process.execPath, join(import.meta.dirname, 'netns-host.mjs'), scenario], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out) as Record<string, string>;
}

describe.skipIf(!isRoot)('a real host in a network namespace: captured now (needs root for unshare)', () => {
  it('mixed: real sshd, veth tailscale0/eth0, the same verdicts in every format', () => checkMixed(buildHost('mixed')));
  it('socket-activated: the same verdicts', () => checkSocketActivated(buildHost('socket-activated')));
});
