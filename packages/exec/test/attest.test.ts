/**
 * `sandbox attest` against the real bwrap backend: every probe passes, and each deliberately weakened
 * sandbox (test-only options) makes exactly the probes that watch that property FAIL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_PATH, detectSandbox } from '@openclaw/policy';
import { afterAll, describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { type AttestBundle, type AttestOptions, PROBE_IDS, runAttestation } from '../src/sandbox/attest.js';
import { seccompProgram } from '../src/sandbox/seccomp.js';

// A home outside /tmp, /var/tmp and /run: the sandbox mounts fresh tmpfs there, which would hide a home
// under them whatever else it does, and the weakened run must show that the secret-hiding itself works.
// The clone may itself live under /tmp (CI clones anywhere), so fall back to the user's home directory.
const underTmpfs = (p: string) => ['/tmp', '/var/tmp', '/run'].some((t) => p === t || p.startsWith(`${t}/`));
const homesRoot = [join(import.meta.dirname, '.homes'), join(homedir(), '.cache/openclaw-test-homes')].find((p) => !underTmpfs(p));
if (!homesRoot) throw new Error(`no directory outside /tmp, /var/tmp and /run to hold the attest home (cwd ${process.cwd()}, HOME ${homedir()})`);
mkdirSync(homesRoot, { recursive: true });
const home = mkdtempSync(join(homesRoot, 'attest-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
writeFileSync(join(home, '.ssh/id_ed25519'), 'PRIVATE KEY canary\n', { mode: 0o600 });
mkdirSync(join(home, '.aws'), { recursive: true });
writeFileSync(join(home, '.aws/credentials'), '[default]\naws_secret_access_key = canary\n');

async function attest(extra: Partial<AttestOptions> = {}): Promise<AttestBundle> {
  const out = testdir();
  return runAttestation({
    status: detectSandbox('bwrap', DEFAULT_POLICY_PATH),
    openclawHome: join(home, '.openclaw'),
    outDir: join(out, 'bundle'),
    approvalsSocket: join(home, '.openclaw/exec-approvals.sock'),
    pathDirs: DEFAULT_POLICY_PATH,
    env: { HOME: home },
    ...extra,
  });
}

describe('sandbox attest: the bwrap backend', () => {
  it('passes every probe, observed inside the sandbox, and writes the bundle', async () => {
    const b = await attest();
    expect(b.error).toBeUndefined();
    expect(b.probes.length).toBeGreaterThanOrEqual(12);
    expect(b.probes.map((p) => p.probe_id)).toEqual([...PROBE_IDS]);
    expect(b.probes.filter((p) => p.verdict !== 'PASS')).toEqual([]);
    expect(b).toMatchObject({ overall: 'PASS', backend: 'bwrap', runtime: expect.stringMatching(/^bubblewrap \d/), image_digest: null });
    expect(b.seccomp_sha256).toMatch(seccompProgram() ? /^[0-9a-f]{64}$/ : /^$/);
    // Every record has the bundle's fields and its own file.
    for (const p of b.probes) {
      expect(Object.keys(p).sort()).toEqual(['actual_stderr_or_value', 'artifact_path', 'errno_or_exit', 'expected', 'operation', 'probe_id', 'verdict']);
      expect(JSON.parse(readFileSync(join(b.out_dir, p.artifact_path), 'utf8'))).toMatchObject({ probe_id: p.probe_id, verdict: p.verdict });
    }
    const onDisk = JSON.parse(readFileSync(join(b.out_dir, 'attestation.json'), 'utf8'));
    expect(onDisk).toMatchObject({ venue: expect.any(String), runtime: b.runtime, image_digest: null, seccomp_sha256: b.seccomp_sha256, overall: 'PASS' });
    // The raw files, as seen inside: only lo, the minimal env, a read-only root.
    expect(readFileSync(join(b.out_dir, 'raw/proc_net_dev.txt'), 'utf8')).toMatch(/^\s*lo:/m);
    expect(readFileSync(join(b.out_dir, 'raw/proc_net_dev.txt'), 'utf8')).not.toMatch(/eth0|ens|wlan/);
    expect(JSON.parse(readFileSync(join(b.out_dir, 'raw/env_keyset.json'), 'utf8'))).toEqual(['HOME', 'LANG', 'PATH', 'PWD']);
    expect(readFileSync(join(b.out_dir, 'raw/mountinfo.txt'), 'utf8')).toMatch(/ \/ \/ ro,nosuid/);
    // The secret directories were there on the host and empty inside.
    expect(b.probes.find((p) => p.probe_id === 'secret_files')?.actual_stderr_or_value).toMatch(/\.ssh: 0 entries.*\.aws: 0 entries/);
    // The traps were removed.
    expect(existsSync(join(home, '.openclaw/exec-approvals.sock'))).toBe(false);
    expect(process.env.OPENCLAW_ATTEST_CANARY).toBeUndefined();
  });

  it.each([
    [
      'the host network shared',
      { shareNetwork: true },
      ['net_egress_ipv4', 'dns_resolution', 'host_loopback_canary', 'net_interfaces', 'unix_abstract_canary', 'namespaces'],
    ],
    ['the secret paths not hidden', { showSecrets: true }, ['approvals_socket', 'secret_files']],
    ['no seccomp filter', { noSeccomp: true }, ['seccomp_filter']],
    ["the launcher's whole env passed on", { leakEnv: true }, ['secret_env']],
  ] as [string, NonNullable<AttestOptions['weaken']>, string[]][])(
    'a sandbox with %s fails exactly the probes that watch it',
    async (_name, weaken, failing) => {
      const b = await attest({ weaken });
      const failed = b.probes.filter((p) => p.verdict === 'FAIL').map((p) => p.probe_id);
      // IPv6 egress and DNS depend on this machine's routes and resolver: required only when IPv4 has a route.
      expect(failed.filter((id) => id !== 'net_egress_ipv6')).toEqual(failing.filter((id) => id !== 'dns_resolution' || failed.includes(id)));
      expect(b.overall).toBe('FAIL');
      if (weaken.shareNetwork)
        expect(b.probes.find((p) => p.probe_id === 'host_loopback_canary')?.actual_stderr_or_value).toMatch(/received the host canary token/);
      if (weaken.showSecrets) expect(b.probes.find((p) => p.probe_id === 'secret_files')?.actual_stderr_or_value).toMatch(/\.ssh: 1 entries/);
    },
  );

  it('a bwrap that cannot start makes every probe NOT_RUN with the reason, never a pass', async () => {
    const fake = testdir({ bwrap: { content: '#!/bin/sh\necho "bwrap: No permissions to creat new namespace" >&2\nexit 1\n', mode: 0o755 } });
    const b = await attest({ status: { backend: 'bwrap', available: true, reason: 'test', binary: join(fake, 'bwrap') } });
    expect(new Set(b.probes.map((p) => p.verdict))).toEqual(new Set(['NOT_RUN']));
    expect(b.overall).toBe('NOT_RUN');
    expect(b.error).toMatch(/No permissions to creat new namespace.*fix: enable user namespaces/);
  });
});

const engine = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 10_000 }).status === 0;

describe('sandbox attest: the docker backend', () => {
  it('with no Docker engine reachable, every probe is NOT_RUN and the bundle says why', async () => {
    const b = await attest({
      status: {
        backend: 'docker',
        available: false,
        reason: 'no Docker engine is reachable (/var/run/docker.sock does not exist)',
        hint: 'start the Docker engine',
      },
    });
    expect(b.overall).toBe('NOT_RUN');
    expect(b.counts).toEqual({ PASS: 0, FAIL: 0, NOT_RUN: PROBE_IDS.length });
    expect(b.error).toMatch(/docker sandbox is unavailable: no Docker engine/);
  });

  it.skipIf(!engine)('docker backend passes the probes in a container (skipped: no Docker engine on this machine)', async () => {
    const b = await attest({ status: detectSandbox('docker', DEFAULT_POLICY_PATH), image: process.env.OPENCLAW_TEST_DOCKER_IMAGE ?? 'debian:12-slim' });
    expect(b.overall).toBe('PASS');
  });
});
