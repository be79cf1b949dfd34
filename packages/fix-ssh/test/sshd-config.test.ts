/** Reading sshd_config as sshd does, and the edits fix-ssh plans — on real files in a temp tree. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { Journal } from '../src/journal.js';
import { HostPaths } from '../src/paths.js';
import {
  directive,
  dropInContent,
  expandInclude,
  includeMatches,
  MARKER,
  neutraliseConflicts,
  planDropIn,
  portsFromFiles,
  readConfigTree,
} from '../src/sshd-config.js';
import { dropUnitDependency, orderingDropIn } from '../src/systemd.js';

function tree(files: Record<string, string>) {
  const root = testdir();
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  const paths = new HostPaths(root);
  const journal = new Journal(paths, true);
  return { root, paths, journal, read: () => readConfigTree(paths, journal) };
}

describe('directives', () => {
  it.each<[string, { keyword: string; args: string[] } | null]>([
    ['ListenAddress 0.0.0.0', { keyword: 'listenaddress', args: ['0.0.0.0'] }],
    ['  listenaddress\t[::]:22', { keyword: 'listenaddress', args: ['[::]:22'] }],
    ['AddressFamily=inet6', { keyword: 'addressfamily', args: ['inet6'] }],
    ['AddressFamily = any', { keyword: 'addressfamily', args: ['any'] }],
    ['Include "/etc/ssh/a b.conf" /etc/ssh/c.conf', { keyword: 'include', args: ['/etc/ssh/a b.conf', '/etc/ssh/c.conf'] }],
    ['#ListenAddress 0.0.0.0', null],
    ['   ', null],
  ])('%j', (line, want) => expect(directive(line)).toEqual(want));
});

describe('neutralising conflicts', () => {
  it('comments out ListenAddress and AddressFamily in every spelling, and nothing else', () => {
    const text = [
      'ListenAddress 0.0.0.0',
      '  listenaddress ::',
      'AddressFamily=any',
      '#ListenAddress 1.2.3.4',
      'Port 22',
      'ListenAddresses x',
      'PasswordAuthentication no',
      '',
    ].join('\n');
    const n = neutraliseConflicts(text);
    expect(n.lines.map((l) => l.line)).toEqual([1, 2, 3]);
    expect(n.text.split('\n')).toEqual([
      `${MARKER} ListenAddress 0.0.0.0`,
      `${MARKER}   listenaddress ::`,
      `${MARKER} AddressFamily=any`,
      '#ListenAddress 1.2.3.4',
      'Port 22',
      'ListenAddresses x',
      'PasswordAuthentication no',
      '',
    ]);
    expect(neutraliseConflicts(n.text).lines).toEqual([]);
  });
});

describe('Include, as sshd reads it', () => {
  it('follows globs in C-locale order, relative paths under /etc/ssh, nesting, and ignores dotfiles', () => {
    const t = tree({
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nInclude extra.conf\n',
      'etc/ssh/sshd_config.d/50-b.conf': 'Include /etc/ssh/nested.conf\n',
      'etc/ssh/sshd_config.d/10-a.conf': 'Port 22\n',
      'etc/ssh/sshd_config.d/Z.conf': '',
      'etc/ssh/sshd_config.d/.hidden.conf': '',
      'etc/ssh/sshd_config.d/notes.txt': '',
      'etc/ssh/nested.conf': '',
      'etc/ssh/extra.conf': '',
    });
    expect(t.read().files.map((f) => t.paths.host(f))).toEqual([
      '/etc/ssh/sshd_config',
      '/etc/ssh/sshd_config.d/10-a.conf',
      '/etc/ssh/sshd_config.d/50-b.conf',
      '/etc/ssh/nested.conf',
      '/etc/ssh/sshd_config.d/Z.conf',
      '/etc/ssh/extra.conf',
    ]);
  });

  it('an Include of a missing glob is fine; of itself is too deep', () => {
    expect(tree({ 'etc/ssh/sshd_config': 'Include /etc/ssh/none/*.conf\n' }).read().files).toHaveLength(1);
    expect(() => tree({ 'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config\n' }).read()).toThrow(/deeper than 16/);
  });

  it('glob matching', () => {
    expect(includeMatches('/e/d/*.conf', '/e/d/00-openclaw-tailnet.conf')).toBe(true);
    expect(includeMatches('/e/d/*.conf', '/e/d/x.txt')).toBe(false);
    expect(includeMatches('/e/d/[0-4]*.conf', '/e/d/00-x.conf')).toBe(true);
    expect(includeMatches('/e/d/[!0]*.conf', '/e/d/00-x.conf')).toBe(false);
    expect(includeMatches('/e/d/?0-x.conf', '/e/d/00-x.conf')).toBe(true);
    expect(includeMatches('/e/*.conf', '/e/d/00-x.conf')).toBe(false);
    expect(expandInclude('/nonexistent/dir/*.conf')).toEqual([]);
  });

  it.each<[string, string, boolean, string]>([
    ['Debian: Include at the top', 'Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n', false, '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf'],
    [
      "Include after the main file's own ListenAddress (neutralised anyway)",
      'ListenAddress 0.0.0.0\nInclude /etc/ssh/sshd_config.d/*.conf\n',
      false,
      '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf',
    ],
    ['relative Include', 'Include sshd_config.d/*.conf\n', false, '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf'],
    ['no Include at all', 'Port 22\n', true, '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf'],
    ['Include only inside Match', 'Match User x\n  Include /etc/ssh/sshd_config.d/*.conf\n', true, '/etc/ssh/openclaw-tailnet.conf'],
    [
      'Include after Match All',
      'Match User x\n  X11Forwarding no\nMatch All\nInclude /etc/ssh/sshd_config.d/*.conf\n',
      false,
      '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf',
    ],
  ])('drop-in placement: %s', (_name, main, insert, dropin) => {
    const t = tree({ 'etc/ssh/sshd_config': main, 'etc/ssh/sshd_config.d/.keep': '' });
    expect(planDropIn(t.read(), t.paths)).toMatchObject({ insertInclude: insert, dropin });
  });
});

describe('ports from the files (when sshd -T cannot run)', () => {
  it.each<[string, number[]]>([
    ['', [22]],
    ['Port 2222\n', [2222]],
    ['Port 22\nPort 2222\n', [22, 2222]],
    ['ListenAddress 0.0.0.0:2200\n', [2200]],
    ['Port 2222\nListenAddress 0.0.0.0:2200\nListenAddress [::]\n', [2200, 2222]],
  ])('%j → %j', (main, ports) => {
    const t = tree({ 'etc/ssh/sshd_config': main });
    expect(portsFromFiles(t.read(), t.journal)).toEqual(ports);
  });
});

describe('taking ssh.socket out of ssh.service dependencies', () => {
  it.each<[string, string]>([
    ['Requires=ssh.socket', `${MARKER} Requires=ssh.socket`],
    ['After=network.target ssh.socket', `${MARKER} After=network.target ssh.socket\nAfter=network.target`],
    ['  BindsTo = ssh.socket other.socket', `${MARKER}   BindsTo = ssh.socket other.socket\n  BindsTo = other.socket`],
    ['After=sshd.socket', 'After=sshd.socket'],
    ['Description=needs ssh.socket', 'Description=needs ssh.socket'],
  ])('%j', (line, want) => {
    expect(dropUnitDependency(line, 'ssh.socket').text).toBe(want);
  });
});

describe('what fix-ssh writes', () => {
  it('the drop-in: AddressFamily inet first, one ListenAddress per port', () => {
    expect(
      dropInContent('100.101.102.103', [22, 2222])
        .split('\n')
        .filter((l) => l && !l.startsWith('#')),
    ).toEqual(['AddressFamily inet', 'ListenAddress 100.101.102.103:22', 'ListenAddress 100.101.102.103:2222']);
  });

  it('the ssh.service wait for the address is a working shell command (run by a real sh, with stub ip and seq)', () => {
    const pre = orderingDropIn('100.101.102.103')
      .split('\n')
      .find((l) => l.startsWith('ExecStartPre='));
    // systemd turns $$ into $ and runs the rest; do the same.
    const cmd = (pre as string).slice('ExecStartPre=/bin/sh -c '.length).slice(1, -1).replaceAll('$$', '$');
    const bin = testdir();
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    };
    stub('seq', 'echo 1');
    stub('sleep', 'exit 0');
    stub('ip', 'echo "3: tailscale0    inet 100.101.102.103/32 scope global tailscale0"');
    const sh = (env: Record<string, string>) => {
      try {
        execFileSync('/bin/sh', ['-c', cmd], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, stdio: 'pipe' });
        return 0;
      } catch (e) {
        return (e as { status: number }).status;
      }
    };
    expect(sh({})).toBe(0);
    stub('ip', 'echo "3: tailscale0    inet 100.101.102.1/32 scope global tailscale0"');
    expect(sh({})).toBe(1);
  });
});
