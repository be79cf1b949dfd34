/**
 * `openclaw sandbox attest` (SPEC §5): runs the probe program (`probe-main.ts`) inside the configured
 * sandbox and writes the evidence bundle.
 *
 * The host side sets the traps the probes look for — a TCP listener on the host loopback that
 * answers with a random token, an abstract and a path Unix socket, the approvals socket (or a
 * stand-in listening at its path when the endpoint is not running), a secret canary under
 * $OPENCLAW_HOME, a canary env var in this process, a file in the host's /tmp — and checks each trap
 * from the host first: a trap the host itself cannot reach proves nothing, so its probe is NOT_RUN.
 * After the run it confirms the positive control (the workspace file arrived). Everything is removed
 * afterwards.
 *
 * Bundle (`--out DIR`): `attestation.json` {venue, runtime, image_digest, seccomp_sha256, overall,
 * probes[…]}, `probes/<probe_id>.json` (each probe's `artifact_path`), and `raw/mountinfo.txt`,
 * `raw/env_keyset.json`, `raw/proc_net_dev.txt` as seen inside.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { arch, hostname, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxStatus } from '@openclaw/policy';
import { runPlan } from '../runner/run-plan.js';
import { ensurePrivateDir } from '../state/paths.js';
import { defaultHiddenPaths, type SandboxWeakening } from './bwrap.js';
import type { ProbeConfig, ProbeOutput, ProbeRecord, Verdict } from './probe-main.js';
import { seccompProgram, seccompSha256 } from './seccomp.js';
import { sandboxLauncher } from './select.js';

export type { ProbeRecord, Verdict };

export const PROBE_IDS = [
  'net_egress_ipv4',
  'net_egress_ipv6',
  'dns_resolution',
  'host_loopback_canary',
  'net_interfaces',
  'unix_abstract_canary',
  'unix_path_canary',
  'approvals_socket',
  'container_runtime_sockets',
  'rootfs_write',
  'workspace_write',
  'private_tmp',
  'secret_files',
  'secret_env',
  'pid_namespace',
  'namespaces',
  'no_new_privs',
  'capabilities',
  'setuid',
  'seccomp_filter',
  'devices',
] as const;

export interface AttestRecord extends ProbeRecord {
  artifact_path: string;
}

export interface AttestBundle {
  venue: string;
  backend: string;
  runtime: string;
  image_digest: string | null;
  seccomp_sha256: string | null;
  overall: Verdict;
  generated_at: string;
  out_dir: string;
  counts: Record<Verdict, number>;
  probes: AttestRecord[];
  raw: { mountinfo: string; env_keyset: string; proc_net_dev: string };
  /** Why the probes could not run at all, when they could not. */
  error?: string;
}

export interface AttestOptions {
  status: SandboxStatus;
  openclawHome: string;
  outDir: string;
  /** The approvals endpoint socket path. */
  approvalsSocket: string;
  /** The policy PATH for the probe's env. */
  pathDirs: readonly string[];
  image?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Test only: weaken the sandbox (and `leakEnv`: give the probe this process's whole env). */
  weaken?: SandboxWeakening & { leakEnv?: boolean };
}

const CONTAINER_SOCKETS = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/containerd/containerd.sock',
  '/run/podman/podman.sock',
  '/run/crio/crio.sock',
  '/var/run/crio/crio.sock',
];

/** Where the probe program is: built next to the CLI's run.js, or this package's source under tests. */
export function probeProgram(argv1: string = process.argv[1] ?? ''): string {
  const candidates = [process.env.OPENCLAW_PROBE_PROGRAM, join(dirname(argv1), 'sandbox-probe.js')];
  try {
    candidates.push(fileURLToPath(new URL('./probe-main.ts', import.meta.url)));
  } catch {}
  const found = candidates.find((c) => c && existsSync(c) && statSync(c).isFile());
  if (!found) throw new Error(`the sandbox probe program is missing (looked at ${candidates.filter(Boolean).join(', ')}); rebuild openclaw`);
  return found;
}

function nsIds(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ns of ['ipc', 'uts', 'net', 'pid', 'mnt', 'cgroup', 'user']) {
    try {
      out[ns] = readlinkSync(`/proc/self/ns/${ns}`);
    } catch {}
  }
  return out;
}

function procStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

function listen(server: Server, target: { port: number; host: string } | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof target === 'string') server.listen(target, () => resolve());
    else server.listen(target.port, target.host, () => resolve());
  });
}

/** A listener that greets each connection with `text` (a peer that hangs up early is no error). */
function canaryServer(text: string): Server {
  return createServer((s) => {
    s.on('error', () => {});
    s.end(text);
  });
}

function hostCanReach(target: { host: string; port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(target as never);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

function runtimeOf(status: SandboxStatus, image?: string): { runtime: string; image_digest: string | null } {
  if (!status.binary) return { runtime: `${status.backend} (not installed)`, image_digest: null };
  if (status.backend === 'bwrap') {
    const v = spawnSync(status.binary, ['--version'], { encoding: 'utf8', timeout: 5000 });
    return { runtime: v.status === 0 ? v.stdout.trim() : `bwrap at ${status.binary}`, image_digest: null };
  }
  const v = spawnSync(status.binary, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 10_000 });
  const d = image ? spawnSync(status.binary, ['image', 'inspect', '--format', '{{.Id}}', image], { encoding: 'utf8', timeout: 10_000 }) : null;
  return {
    runtime: v.status === 0 ? `docker engine ${v.stdout.trim()}` : 'docker (no engine answered)',
    image_digest: d?.status === 0 ? d.stdout.trim() : null,
  };
}

export async function runAttestation(opts: AttestOptions): Promise<AttestBundle> {
  const token = () => randomBytes(12).toString('hex');
  const cleanups: (() => void | Promise<void>)[] = [];
  const notes = new Map<string, { verdict: Verdict; why: string }>();
  const startedAt = new Date().toISOString();
  const { runtime, image_digest } = runtimeOf(opts.status, opts.image);
  const seccomp = opts.status.backend === 'bwrap' && !opts.weaken?.noSeccomp ? seccompSha256(seccompProgram()) : null;
  const base = {
    venue: `local host ${hostname()} (linux ${release()} ${arch()})`,
    backend: opts.status.backend,
    runtime,
    image_digest,
    seccomp_sha256: seccomp,
    generated_at: startedAt,
    out_dir: opts.outDir,
  };
  mkdirSync(join(opts.outDir, 'probes'), { recursive: true, mode: 0o700 });
  mkdirSync(join(opts.outDir, 'raw'), { recursive: true, mode: 0o700 });

  let output: ProbeOutput | null = null;
  let error: string | undefined;
  const envCanary = 'OPENCLAW_ATTEST_CANARY';
  try {
    // The traps.
    const work = mkdtempSync(join(tmpdir(), 'openclaw-attest-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const workspace = join(work, 'workspace');
    const probeDir = join(work, 'probe');
    mkdirSync(workspace, { mode: 0o700 });
    mkdirSync(probeDir, { mode: 0o755 });
    const loopToken = token();
    const tcp = canaryServer(`${loopToken}\n`);
    await listen(tcp, { port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((r) => tcp.close(() => r())));
    const port = (tcp.address() as { port: number }).port;
    const abstractName = `openclaw-attest-${token()}`;
    const abs = canaryServer('abstract\n');
    await listen(abs, `\0${abstractName}`);
    cleanups.push(() => new Promise<void>((r) => abs.close(() => r())));
    const sockDir = mkdtempSync(join(tmpdir(), 'openclaw-attest-sock-'));
    cleanups.push(() => rmSync(sockDir, { recursive: true, force: true }));
    const pathSocket = join(sockDir, 'canary.sock');
    const unix = canaryServer('path\n');
    await listen(unix, pathSocket);
    cleanups.push(() => new Promise<void>((r) => unix.close(() => r())));

    // The approvals socket: the real endpoint when it answers, else a stand-in at its path.
    let approvalsNote = 'the approvals endpoint is running';
    if (!(await hostCanReach({ path: opts.approvalsSocket }))) {
      if (existsSync(opts.approvalsSocket)) {
        notes.set('approvals_socket', {
          verdict: 'NOT_RUN',
          why: `${opts.approvalsSocket} exists but nothing answers on it (a stale socket); start \`openclaw approvals serve\` and attest again`,
        });
      } else {
        const dir = dirname(opts.approvalsSocket);
        const made = !existsSync(dir);
        if (made) mkdirSync(dir, { recursive: true, mode: 0o700 });
        const standIn = canaryServer('stand-in\n');
        await listen(standIn, opts.approvalsSocket);
        cleanups.push(
          () =>
            new Promise<void>((r) =>
              standIn.close(() => {
                if (made) rmSync(dir, { recursive: true, force: true });
                r();
              }),
            ),
        );
        approvalsNote = 'the endpoint was not running: a stand-in listened at its path';
      }
    }

    ensurePrivateDir(opts.openclawHome);
    const secretToken = token();
    const secretCanary = join(opts.openclawHome, `.attest-canary-${token()}`);
    writeFileSync(secretCanary, secretToken, { mode: 0o600 });
    cleanups.push(() => rmSync(secretCanary, { force: true }));
    const tmpCanary = join(tmpdir(), `openclaw-attest-tmp-${token()}`);
    writeFileSync(tmpCanary, 'host /tmp', { mode: 0o600 });
    cleanups.push(() => rmSync(tmpCanary, { force: true }));
    process.env[envCanary] = token();
    cleanups.push(() => {
      delete process.env[envCanary];
    });

    // Preflight: every trap must be reachable from the host, or its probe proves nothing.
    const preflight: [string, { host: string; port: number } | { path: string }][] = [
      ['host_loopback_canary', { host: '127.0.0.1', port }],
      ['unix_abstract_canary', { path: `\0${abstractName}` }],
      ['unix_path_canary', { path: pathSocket }],
      ...(notes.has('approvals_socket') ? [] : [['approvals_socket', { path: opts.approvalsSocket }] as [string, { path: string }]]),
    ];
    for (const [id, target] of preflight)
      if (!(await hostCanReach(target)))
        notes.set(id, { verdict: 'NOT_RUN', why: `the host itself cannot reach its canary (${JSON.stringify(target)}), so a failure inside proves nothing` });

    // Run in place: the built program imports its chunks next to it, so its directory is bound.
    const program = probeProgram();
    const secretPaths = defaultHiddenPaths(opts.openclawHome, opts.env).filter((p) => existsSync(p));
    const hostEnv = { PATH: opts.pathDirs.join(':'), HOME: '/tmp', LANG: 'C.UTF-8' };
    const childEnv: Record<string, string> = opts.weaken?.leakEnv ? ({ ...process.env } as Record<string, string>) : hostEnv;
    const config: ProbeConfig = {
      loopback: { host: '127.0.0.1', port, token: loopToken },
      abstractSocket: abstractName,
      pathSocket,
      approvalsSocket: opts.approvalsSocket,
      containerSockets: CONTAINER_SOCKETS,
      secretPaths,
      secretCanary: { path: secretCanary, token: secretToken },
      envCanary,
      // bwrap sets PWD for --chdir.
      allowedEnv: [...Object.keys(hostEnv), 'PWD'],
      workspace,
      workspaceToken: token(),
      tmpCanary,
      hostPid: process.pid,
      hostPidStart: procStart(process.pid),
      hostHostname: hostname(),
      hostNamespaces: nsIds(),
      seccompExpected: opts.status.backend === 'bwrap' && seccompProgram() !== null,
    };
    writeFileSync(join(probeDir, 'config.json'), JSON.stringify(config));

    const node = realpathSync(process.execPath);
    const choice = sandboxLauncher({
      status: opts.status,
      openclawHome: opts.openclawHome,
      workspace,
      binds: [
        { path: probeDir, writable: false },
        { path: dirname(program), writable: false },
        { path: node, writable: false },
      ],
      image: opts.image,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.weaken ? { weaken: opts.weaken } : {}),
    });
    if (!choice.ok) {
      error = `${choice.reason.message}${choice.reason.hint ? ` (fix: ${choice.reason.hint})` : ''}`;
    } else {
      const run = await runPlan(
        {
          commands: [{ file: node, argv: [node, '--disable-warning=ExperimentalWarning', program, join(probeDir, 'config.json')] }],
          cwd: workspace,
          env: childEnv,
          timeoutMs: 60_000,
          maxOutputChars: 2_000_000,
        },
        choice.launcher,
      );
      const e = run.evidence[0];
      try {
        output = JSON.parse(e?.stdout ?? '') as ProbeOutput;
      } catch {
        error = `the probe program did not report (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}): ${(e?.stderr || e?.error || '').trim().slice(0, 2000)}`;
      }
      if (output) {
        // The positive control, confirmed from the host.
        const control = join(workspace, '.openclaw-attest-control');
        const arrived = existsSync(control) && readFileSync(control, 'utf8') === config.workspaceToken;
        const w = output.probes.find((p) => p.probe_id === 'workspace_write');
        if (w && w.verdict === 'PASS' && !arrived) {
          w.verdict = 'FAIL';
          w.actual_stderr_or_value += '; but the host does not see the file in the workspace';
        } else if (w && arrived) w.actual_stderr_or_value += '; the host read the same token from the file';
        const a = output.probes.find((p) => p.probe_id === 'approvals_socket');
        if (a) a.actual_stderr_or_value += ` (${approvalsNote})`;
        const s = output.probes.find((p) => p.probe_id === 'secret_files');
        if (s && secretPaths.length === 0) s.actual_stderr_or_value += '; no other secret path exists on this host (only the canary was tested)';
      }
    }
  } catch (e) {
    error = `attestation could not be set up: ${(e as Error).message}`;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  }

  const byId = new Map((output?.probes ?? []).map((p) => [p.probe_id, p]));
  const probes: AttestRecord[] = PROBE_IDS.map((id) => {
    const seen = byId.get(id);
    const note = notes.get(id);
    const rec: ProbeRecord = seen
      ? note
        ? { ...seen, verdict: note.verdict, actual_stderr_or_value: `${note.why}; observed: ${seen.actual_stderr_or_value}` }
        : seen
      : {
          probe_id: id,
          operation: 'not run',
          expected: 'see the probe program',
          actual_stderr_or_value: error ?? 'the probe program did not report this probe',
          errno_or_exit: null,
          verdict: 'NOT_RUN',
        };
    const artifact_path = join('probes', `${id}.json`);
    writeFileSync(join(opts.outDir, artifact_path), `${JSON.stringify(rec, null, 1)}\n`);
    return { ...rec, artifact_path };
  });
  const raw = { mountinfo: 'raw/mountinfo.txt', env_keyset: 'raw/env_keyset.json', proc_net_dev: 'raw/proc_net_dev.txt' };
  writeFileSync(join(opts.outDir, raw.mountinfo), output?.raw.mountinfo ?? `not captured: ${error}\n`);
  writeFileSync(join(opts.outDir, raw.env_keyset), `${JSON.stringify(output?.raw.env_keyset ?? null)}\n`);
  writeFileSync(join(opts.outDir, raw.proc_net_dev), output?.raw.proc_net_dev ?? `not captured: ${error}\n`);
  const counts: Record<Verdict, number> = { PASS: 0, FAIL: 0, NOT_RUN: 0 };
  for (const p of probes) counts[p.verdict]++;
  const overall: Verdict = counts.FAIL ? 'FAIL' : counts.NOT_RUN ? 'NOT_RUN' : 'PASS';
  const bundle: AttestBundle = { ...base, overall, counts, probes, raw, ...(error ? { error } : {}) };
  writeFileSync(join(opts.outDir, 'attestation.json'), `${JSON.stringify(bundle, null, 1)}\n`);
  return bundle;
}
