/**
 * A minimal bubblewrap launcher for host `sandbox` (SPEC §5 Sandbox; issue 5 completes the backend
 * with attestation and Docker). Each command runs in:
 *   - new user (when possible), pid, ipc, uts, cgroup and **network** namespaces (no network at all);
 *   - a read-only bind of `/`, a fresh /dev and /proc, private tmpfs /tmp, /var/tmp and /run (so no
 *     host Unix sockets: Docker, Postgres, the approvals endpoint);
 *   - the workspace bound read-write;
 *   - tmpfs over secret directories ($OPENCLAW_HOME, ~/.ssh, ~/.gnupg, ~/.aws …) and /dev/null over
 *     secret files — hidden even when they sit inside the workspace;
 *   - a new session (no TIOCSTI into the caller's terminal), every capability dropped, killed with
 *     its parent; the env is the plan's minimal env and nothing else.
 * bwrap 0.8 has no --argv0, so inside the sandbox argv[0] is the executable's path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { OpenclawError, userHome } from '@openclaw/policy';
import type { Launcher } from './types.js';

export interface BwrapOptions {
  bwrap: string;
  /** Bound read-write; everything else is read-only or hidden. */
  workspace: string;
  /** Directories and files to hide (only those that exist are used). */
  hide: string[];
}

/** Secrets a sandboxed command never sees. */
export function defaultHiddenPaths(openclawHome: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = userHome(env);
  return [
    openclawHome,
    ...['.ssh', '.gnupg', '.aws', '.azure', '.kube', '.docker', '.config/gcloud', '.password-store', '.netrc', '.pgpass', '.git-credentials', '.npmrc'].map(
      (p) => join(home, p),
    ),
  ];
}

const inside = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
};

export function bwrapLauncher(opts: BwrapOptions): Launcher {
  let workspace: string;
  try {
    workspace = realpathSync(opts.workspace);
  } catch {
    throw new OpenclawError({ code: 'sandbox_workspace_missing', reason: `sandbox workspace ${opts.workspace} does not exist`, exitCode: 77 });
  }
  if (workspace === '/')
    throw new OpenclawError({
      code: 'sandbox_workspace_unsafe',
      reason: 'the sandbox workspace would be / (the whole machine, writable)',
      hint: 'run from a project directory (--cwd DIR) or set sandbox.workspace in openclaw.yaml',
      exitCode: 77,
    });
  const hidden = opts.hide.filter((p) => existsSync(p)).map((p) => realpathSync(p));
  const hideArgs = (p: string) => (statSync(p).isDirectory() ? ['--tmpfs', p] : ['--ro-bind', '/dev/null', p]);
  // A secret directory that contains the workspace is hidden before the workspace is bound (so the
  // workspace shows through); every other one after (so it stays hidden inside the workspace).
  const before = hidden.filter((p) => inside(p, workspace) && p !== workspace).flatMap(hideArgs);
  const after = hidden.filter((p) => !inside(p, workspace)).flatMap(hideArgs);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = [
    '--die-with-parent',
    '--new-session',
    '--unshare-all',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/var/tmp',
    '--tmpfs',
    '/run',
    ...before,
    '--bind',
    workspace,
    workspace,
    ...after,
    ...(root ? ['--cap-drop', 'ALL'] : []),
  ];
  return {
    name: 'bwrap',
    launch: (cmd, ctx) => ({
      file: opts.bwrap,
      args: [...prefix, '--chdir', ctx.cwd, '--', cmd.file, ...cmd.argv.slice(1)],
      argv0: 'bwrap',
      cwd: ctx.cwd,
      env: ctx.env,
    }),
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
