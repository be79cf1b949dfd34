import { describe, expect, it } from 'vitest';
import { classifyAddress, formatEndpoint, isTailnetIPv4, parseIPv4, parseIPv6 } from '../src/ports/address.js';

describe('address tiers (SPEC §7)', () => {
  it.each<[string, string | null, string, boolean]>([
    // local
    ['127.0.0.1', null, 'local', false],
    ['127.0.0.53', null, 'local', false],
    ['127.255.255.254', null, 'local', false],
    ['::1', null, 'local', false],
    ['::ffff:127.0.0.1', null, 'local', false],
    ['0:0:0:0:0:0:0:1', null, 'local', false],
    ['0.0.0.0', 'lo', 'local', true],
    ['*', 'lo', 'local', true],
    ['192.168.1.20', 'lo', 'local', false],
    // tailnet
    ['100.64.0.0', null, 'tailnet', false],
    ['100.101.102.103', null, 'tailnet', false],
    ['100.127.255.255', null, 'tailnet', false],
    ['fd7a:115c:a1e0::1234', null, 'tailnet', false],
    ['fd7a:115c:a1e0:ab12:4843:cd96:6258:b240', null, 'tailnet', false],
    ['::ffff:100.101.102.103', null, 'tailnet', false],
    ['0.0.0.0', 'tailscale0', 'tailnet', true],
    ['::', 'tailscale0', 'tailnet', true],
    ['*', 'tailscale1', 'tailnet', true],
    ['127.0.0.1', 'tailscale0', 'local', false],
    // lan
    ['10.0.0.5', null, 'lan', false],
    ['172.16.0.1', null, 'lan', false],
    ['172.31.255.255', null, 'lan', false],
    ['192.168.1.20', null, 'lan', false],
    ['169.254.10.1', null, 'lan', false],
    ['fd00::1', null, 'lan', false],
    ['fc00::1', null, 'lan', false],
    ['fd7a:115c:a1e1::1', null, 'lan', false],
    ['fe80::1', 'eth0', 'lan', false],
    ['febf::1', null, 'lan', false],
    ['::ffff:10.1.2.3', null, 'lan', false],
    // public
    ['0.0.0.0', null, 'public', true],
    ['::', null, 'public', true],
    ['*', null, 'public', true],
    ['0.0.0.0', 'eth0', 'public', true],
    ['*', 'eth0', 'public', true],
    ['::ffff:0.0.0.0', null, 'public', true],
    ['203.0.113.10', null, 'public', false],
    ['100.63.255.255', null, 'public', false],
    ['100.128.0.0', null, 'public', false],
    ['172.32.0.1', null, 'public', false],
    ['11.0.0.1', null, 'public', false],
    ['2001:db8::10', null, 'public', false],
    ['fec0::1', null, 'public', false],
    ['::ffff:203.0.113.10', null, 'public', false],
  ])('%s%%%s → %s', (address, device, tier, wildcard) => {
    const c = classifyAddress(address, device);
    expect(c?.tier).toBe(tier);
    expect(c?.wildcard).toBe(wildcard);
    expect(c?.why).toMatch(/\w/);
  });

  it.each([
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    ':::',
    '1::2::3',
    'fd7a:115c:a1e0:ab',
    'g::1',
    '12345::1',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:1.2.3.256',
  ])('%j is not an address', (text) => {
    expect(classifyAddress(text, null)).toBeUndefined();
  });

  it('parses IPv6 forms into groups', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('fe80::1')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(parseIPv6('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    expect(parseIPv4('100.101.102.103')).toBe(100 * 2 ** 24 + 101 * 2 ** 16 + 102 * 256 + 103);
  });

  it('isTailnetIPv4 is exactly 100.64.0.0/10', () => {
    expect(['100.64.0.1', '100.101.102.103', '100.127.255.254'].every(isTailnetIPv4)).toBe(true);
    expect(['100.63.255.255', '100.128.0.1', '10.0.0.1', 'fd7a:115c:a1e0::1', '100.101.102', 'x'].some(isTailnetIPv4)).toBe(false);
  });

  it('formats endpoints as ss does', () => {
    expect(formatEndpoint('0.0.0.0', 22)).toBe('0.0.0.0:22');
    expect(formatEndpoint('::', 22)).toBe('[::]:22');
    expect(formatEndpoint('*', 8080)).toBe('*:8080');
    expect(formatEndpoint('0.0.0.0', 8443, 'tailscale0')).toBe('0.0.0.0%tailscale0:8443');
    expect(formatEndpoint('fe80::1', 2222, 'eth0')).toBe('[fe80::1]%eth0:2222');
  });
});
