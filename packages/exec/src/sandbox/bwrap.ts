/**
 * The bubblewrap backend (SPEC §5 Sandbox). Each command runs in:
 *   - new user (when possible), pid, ipc, uts (hostname `openclaw-sandbox`), cgroup and **network**
 *     namespaces — no network at all, not even the host's loopback or abstract Unix sockets;
 *   - a read-only bind of `/`, a fresh /dev and /proc, an empty /sys but for the CPU list, private
 *     tmpfs /tmp, /var/tmp and /run (so no host Unix socket: Docker, Postgres, the approvals endpoint);
 *   - tmpfs over secret directories ($OPENCLAW_HOME, ~/.ssh, ~/.gnupg, ~/.aws, ~/.config/gcloud …)
 *     and /dev/null over secret files — hidden even when they sit inside the workspace;
 *   - the workspace bound read-write, and any extra binds (a repo job's read-only worktree and its
 *     artifact directory) — all after the secrets are hidden, so a bind is exactly what it says;
 *   - a new session (no TIOCSTI into the caller's terminal), every capability dropped, no new
 *     privileges (bwrap sets PR_SET_NO_NEW_PRIVS), the seccomp filter of `seccomp.ts`, killed with
 *     its parent; the env is the plan's minimal env and nothing else (given to bwrap's own env,
 *     never as `--setenv` arguments, so no value is ever in an argv).
 * bwrap 0.8 has no --argv0, so inside the sandbox argv[0] is the executable's path.
 *
 * `weaken` exists for the attestation suite only: it proves each probe can see the property it
 * checks fail. Nothing in the product sets it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OpenclawError, userHome } from '@openclaw/policy';
import type { Launcher } from '../runner/types.js';
import { openSeccompFd } from './seccomp.js';

export interface SandboxBind {
  path: string;
  writable: boolean;
}

export interface SandboxWeakening {
  /** Share the host's network namespace (loopback, interfaces, routes). */
  shareNetwork?: boolean;
  /** Do not hide the secret paths. */
  showSecrets?: boolean;
  /** Do not load the seccomp filter. */
  noSeccomp?: boolean;
}

export interface BwrapOptions {
  bwrap: string;
  /** Bound read-write; everything else is read-only or hidden. Null: only `binds` are visible as bound. */
  workspace: string | null;
  /** Mounted after the secrets are hidden (e.g. a read-only worktree, an artifact directory). */
  binds?: SandboxBind[];
  /** Directories and files to hide (only those that exist are used). */
  hide: string[];
  /** Test only: see the file comment. */
  weaken?: SandboxWeakening;
}

/** Secrets a sandboxed command never sees. */
export function defaultHiddenPaths(openclawHome: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = userHome(env);
  return [
    openclawHome,
    ...[
      '.ssh',
      '.gnupg',
      '.aws',
      '.azure',
      '.kube',
      '.docker',
      '.config/gcloud',
      '.config/gh',
      '.config/op',
      '.password-store',
      '.local/share/keyrings',
      '.mcporter',
      '.netrc',
      '.pgpass',
      '.git-credentials',
      '.npmrc',
      '.pypirc',
    ].map((p) => join(home, p)),
  ];
}

function real(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch {
    throw new OpenclawError({ code: 'sandbox_workspace_missing', reason: `sandbox ${what} ${path} does not exist`, exitCode: 77 });
  }
}

export function bwrapLauncher(opts: BwrapOptions): Launcher {
  const workspace = opts.workspace === null ? null : real(opts.workspace, 'workspace');
  const binds = (opts.binds ?? []).map((b) => ({ path: real(b.path, b.writable ? 'writable bind' : 'bind'), writable: b.writable }));
  for (const p of [workspace, ...binds.filter((b) => b.writable).map((b) => b.path)])
    if (p === '/')
      throw new OpenclawError({
        code: 'sandbox_workspace_unsafe',
        reason: 'the sandbox workspace would be / (the whole machine, writable)',
        hint: 'run from a project directory (--cwd DIR) or set sandbox.workspace in openclaw.yaml',
        exitCode: 77,
      });
  const weaken = opts.weaken ?? {};
  const hidden = weaken.showSecrets ? [] : opts.hide.filter((p) => existsSync(p)).map((p) => realpathSync(p));
  const hideArgs = (p: string) => (statSync(p).isDirectory() ? ['--tmpfs', p] : ['--ro-bind', '/dev/null', p]);
  const shown = [...(workspace ? [{ path: workspace, writable: true }] : []), ...binds];
  // Mounts are applied shallowest first, so a deeper one always wins over its ancestors: a secret
  // directory inside the workspace stays hidden, and a bind inside a hidden directory (an artifact
  // directory under $OPENCLAW_HOME) shows through. A path both shown and hidden is shown.
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  const mounts = [
    ...hidden.filter((p) => !shown.some((b) => b.path === p)).map((p) => ({ path: p, args: hideArgs(p) })),
    ...shown.map((b) => ({ path: b.path, args: [b.writable ? '--bind' : '--ro-bind', b.path, b.path] })),
  ]
    .map((m, i) => ({ ...m, i }))
    .sort((a, b) => depth(a.path) - depth(b.path) || a.i - b.i)
    .flatMap((m) => m.args);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = [
    '--die-with-parent',
    '--new-session',
    '--unshare-user-try',
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(weaken.shareNetwork ? [] : ['--unshare-net']),
    '--hostname',
    'openclaw-sandbox',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/sys',
    '--ro-bind-try',
    '/sys/devices/system/cpu',
    '/sys/devices/system/cpu',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/var/tmp',
    '--tmpfs',
    '/run',
    ...mounts,
    ...(root ? ['--cap-drop', 'ALL'] : []),
  ];
  return {
    name: 'bwrap',
    launch: (cmd, ctx) => {
      const fd = weaken.noSeccomp ? null : openSeccompFd();
      // The fd is the child's fd 3 (the first entry after stdin, stdout, stderr).
      return {
        file: opts.bwrap,
        args: [...prefix, ...(fd === null ? [] : ['--seccomp', '3']), '--chdir', ctx.cwd, '--', cmd.file, ...cmd.argv.slice(1)],
        argv0: 'bwrap',
        cwd: ctx.cwd,
        env: ctx.env,
        ...(fd === null ? {} : { extraFds: [fd], release: () => closeSync(fd) }),
      };
    },
  };
}

const probes = new Map<string, { ok: true } | { ok: false; reason: string }>();

/**
 * Starts bwrap once (cached per process) to prove it can make its namespaces here: the static check
 * in the policy core cannot see a kernel or AppArmor that refuses at run time.
 */
export function probeBwrap(bwrap: string): { ok: true } | { ok: false; reason: string } {
  let r = probes.get(bwrap);
  if (!r) {
    const p = spawnSync(bwrap, ['--die-with-parent', '--unshare-all', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', '/bin/true'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: {},
    });
    r = p.status === 0 ? { ok: true } : { ok: false, reason: (p.stderr || p.error?.message || `exit ${p.status}`).trim() };
    probes.set(bwrap, r);
  }
  return r;
}
