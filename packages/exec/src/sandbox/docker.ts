/**
 * The Docker backend (SPEC §5 Sandbox), used when `sandbox.backend: docker` and an engine answers.
 * Each command is one `docker run --rm` of `sandbox.image` with: no network, a read-only root
 * filesystem, tmpfs /tmp and /run, every capability dropped, no-new-privileges, Docker's default
 * seccomp profile, a pid limit, the caller's uid:gid, the workspace (and any extra binds) mounted at
 * the same paths, and the plan's env passed by *name* (`-e KEY`: the docker CLI reads the value from
 * its own env, so no value is ever in an argv). The command runs by the path the decision resolved,
 * so the image must have the same executables at the same paths.
 *
 * No engine runs on the machine this was written on: the backend is covered by tests that say they
 * were skipped there, and `sandbox attest --backend docker` reports NOT_RUN rather than a pass.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import type { Launcher } from '../runner/types.js';
import type { SandboxBind } from './bwrap.js';

export interface DockerOptions {
  docker: string;
  image: string;
  workspace: string | null;
  binds?: SandboxBind[];
  /** Test only (attest): share the host's network. */
  shareNetwork?: boolean;
}

export function dockerLauncher(opts: DockerOptions): Launcher {
  const mounts = [...(opts.workspace ? [{ path: opts.workspace, writable: true }] : []), ...(opts.binds ?? [])].map((b) => {
    const p = realpathSync(b.path);
    return ['--mount', `type=bind,source=${p},target=${p}${b.writable ? '' : ',readonly'}`];
  });
  const user = typeof process.getuid === 'function' ? [`--user`, `${process.getuid()}:${process.getgid?.() ?? 0}`] : [];
  return {
    name: 'docker',
    launch: (cmd, ctx) => ({
      file: opts.docker,
      args: [
        'run',
        '--rm',
        '--init',
        '--network',
        opts.shareNetwork ? 'host' : 'none',
        '--read-only',
        '--tmpfs',
        '/tmp:rw,nosuid,nodev',
        '--tmpfs',
        '/run:rw,nosuid,nodev',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--pids-limit',
        '1024',
        '--hostname',
        'openclaw-sandbox',
        ...user,
        ...mounts.flat(),
        '--workdir',
        ctx.cwd,
        ...Object.keys(ctx.env).flatMap((k) => ['-e', k]),
        '--entrypoint',
        cmd.file,
        opts.image,
        ...cmd.argv.slice(1),
      ],
      argv0: 'docker',
      cwd: ctx.cwd,
      env: ctx.env,
    }),
  };
}

const engines = new Map<string, { ok: true; version: string } | { ok: false; reason: string }>();

/** Asks the engine for its version (cached per process): the socket existing is not an engine answering. */
export function probeDockerEngine(docker: string, env: NodeJS.ProcessEnv = process.env): { ok: true; version: string } | { ok: false; reason: string } {
  let r = engines.get(docker);
  if (!r) {
    const p = spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...(env.DOCKER_HOST ? { DOCKER_HOST: env.DOCKER_HOST } : {}), HOME: env.HOME ?? '/' },
    });
    r =
      p.status === 0 && p.stdout.trim()
        ? { ok: true, version: p.stdout.trim() }
        : { ok: false, reason: (p.stderr || p.error?.message || `exit ${p.status}`).trim() };
    engines.set(docker, r);
  }
  return r;
}
