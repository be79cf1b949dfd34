/**
 * The real captures in test/fixtures/listeners/ (one host, four formats) and the verdicts their
 * README expects. netstat loses device bindings and IPv4-mapped addresses: its column says what
 * the audit concludes from netstat's view, and that it says it cannot tell.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditCapture, describeAudit } from '../src/ports/audit.js';
import { parseListeners } from '../src/ports/parse.js';

const dir = join(import.meta.dirname, 'fixtures/listeners');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

// listener (ss) | process | tier | verdict | listener as netstat shows it | netstat tier | netstat verdict
const EXPECTED: Array<[string, string, string, string, string, string, string]> = [
  ['0.0.0.0:22', 'sshd', 'public', 'violation', '0.0.0.0:22', 'public', 'violation'],
  ['[::]:22', 'sshd', 'public', 'violation', '[::]:22', 'public', 'violation'],
  ['*:8080', 'python3', 'public', 'violation', '[::]:8080', 'public', 'violation'],
  ['203.0.113.10:443', 'nginx', 'public', 'violation', '203.0.113.10:443', 'public', 'violation'],
  ['192.168.1.20:6379', 'redis', 'lan', 'warn', '192.168.1.20:6379', 'lan', 'warn'],
  ['100.101.102.103:41000', 'tailscaled', 'tailnet', 'ok', '100.101.102.103:41000', 'tailnet', 'ok'],
  ['[fd7a:115c:a1e0::1234]:41001', 'tailscaled', 'tailnet', 'ok', '[fd7a:115c:a1e0::1]:41001', 'tailnet', 'ok'],
  // netstat cannot show the device binding: it sees a wildcard and judges it public, saying why
  ['0.0.0.0%tailscale0:8443', 'caddy', 'tailnet', 'ok', '0.0.0.0:8443', 'public', 'violation'],
  ['127.0.0.53%lo:53', 'systemd-resolve', 'local', 'ok', '127.0.0.53:53', 'local', 'ok'],
  ['127.0.0.1:18789', 'node', 'local', 'ok', '127.0.0.1:18789', 'local', 'ok'],
  ['[::1]:5432', 'postgres', 'local', 'ok', '[::1]:5432', 'local', 'ok'],
  // netstat prints the IPv4-mapped address as IPv4: still local
  ['[::ffff:127.0.0.1]:3000', 'grafana', 'local', 'ok', '127.0.0.1:3000', 'local', 'ok'],
];

const byEndpoint = (file: string) => new Map(auditCapture(parseListeners(read(file))).listeners.map((l) => [l.endpoint, l]));

describe('fixtures/listeners: mixed-host in four formats', () => {
  for (const file of ['mixed-host.ss-tlnp.txt', 'mixed-host.ss-H-tlnp.txt', 'mixed-host.ss-tulpn.txt']) {
    describe(file, () => {
      const got = byEndpoint(file);
      it.each(EXPECTED)('%s %s → %s %s', (endpoint, process, tier, verdict) => {
        expect(got.get(endpoint)).toMatchObject({ process, tier, verdict });
      });
      it('has exactly these listeners', () => expect([...got.keys()].sort()).toEqual(EXPECTED.map((e) => e[0]).sort()));
    });
  }

  describe('mixed-host.netstat-tlnp.txt', () => {
    const got = byEndpoint('mixed-host.netstat-tlnp.txt');
    it.each(EXPECTED)('%s %s → as netstat shows it: %s', (_ss, process, _t, _v, endpoint, tier, verdict) => {
      // netstat shows the command line (systemd-resol…, cut at 19 characters of PID/Program)
      expect(got.get(endpoint)).toMatchObject({ process: process === 'systemd-resolve' ? 'systemd-resol' : process, tier, verdict });
    });
    it('says what netstat cannot tell', () => {
      expect(got.get('0.0.0.0:8443')?.why).toMatch(/does not show device bindings/);
      expect(got.get('[fd7a:115c:a1e0::1]:41001')?.why).toMatch(/cut short by netstat/);
    });
  });

  it.each(['mixed-host.ss-tlnp.txt', 'mixed-host.ss-H-tlnp.txt', 'mixed-host.ss-tulpn.txt', 'mixed-host.netstat-tlnp.txt'])(
    '%s: overall fail, sshd public, remediation names openclaw fix-ssh',
    (file) => {
      const a = auditCapture(parseListeners(read(file)));
      expect(a.status).toBe('fail');
      expect(a.sshd_public).toBe(true);
      expect(describeAudit(a).remediation).toMatch(/openclaw fix-ssh/);
    },
  );
});
