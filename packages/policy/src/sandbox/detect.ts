/**
 * Whether the configured sandbox backend can work here — a cheap static check for the decision path
 * (no process is started): the binary is on the policy PATH and the kernel lets it make namespaces.
 * The exec plane runs the sandbox for real and turns a failure at run time into a deny as well.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolveExecutable } from '../executables/resolve.js';

export type SandboxBackend = 'bwrap' | 'docker';

export interface SandboxStatus {
  backend: SandboxBackend;
  available: boolean;
  /** What was checked and found. */
  reason: string;
  hint?: string;
  binary?: string;
}

function readInt(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}

export function detectSandbox(backend: SandboxBackend, pathDirs: readonly string[], env: NodeJS.ProcessEnv = process.env): SandboxStatus {
  if (backend === 'docker') {
    const docker = resolveExecutable('docker', '/', pathDirs);
    const host = env.DOCKER_HOST;
    const socket = host?.startsWith('unix://') ? host.slice(7) : host ? undefined : '/var/run/docker.sock';
    if (!docker.ok)
      return {
        backend,
        available: false,
        reason: 'the docker CLI is not on the policy PATH',
        hint: 'install Docker, or use the bwrap backend (sandbox.backend: bwrap)',
      };
    if (socket !== undefined && !existsSync(socket)) {
      return {
        backend,
        available: false,
        reason: `no Docker engine is reachable (${socket} does not exist)`,
        hint: 'start the Docker engine, or use the bwrap backend (sandbox.backend: bwrap)',
        binary: docker.realPath,
      };
    }
    return { backend, available: true, reason: `docker CLI at ${docker.realPath}, engine socket ${socket ?? host}`, binary: docker.realPath };
  }
  if (process.platform !== 'linux') {
    return { backend, available: false, reason: 'bubblewrap needs Linux', hint: 'use the docker backend (sandbox.backend: docker)' };
  }
  const bwrap = resolveExecutable('bwrap', '/', pathDirs);
  if (!bwrap.ok) {
    return { backend, available: false, reason: 'bubblewrap (bwrap) is not installed', hint: 'install it: sudo apt-get install bubblewrap' };
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) {
    if (readInt('/proc/sys/user/max_user_namespaces') === 0) {
      return {
        backend,
        available: false,
        reason: 'user namespaces are disabled (user.max_user_namespaces = 0)',
        hint: 'sudo sysctl -w user.max_user_namespaces=15000',
        binary: bwrap.realPath,
      };
    }
    if (readInt('/proc/sys/kernel/unprivileged_userns_clone') === 0) {
      return {
        backend,
        available: false,
        reason: 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)',
        hint: 'sudo sysctl -w kernel.unprivileged_userns_clone=1',
        binary: bwrap.realPath,
      };
    }
    if (
      readInt('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === 1 &&
      !existsSync('/etc/apparmor.d/bwrap-userns-restrict') &&
      !existsSync('/etc/apparmor.d/bwrap')
    ) {
      return {
        backend,
        available: false,
        reason: 'AppArmor restricts unprivileged user namespaces and has no profile for bwrap',
        hint: 'install an AppArmor profile for bwrap, or sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
        binary: bwrap.realPath,
      };
    }
  }
  return { backend, available: true, reason: `bwrap at ${bwrap.realPath}${root ? ' (running as root)' : ', user namespaces enabled'}`, binary: bwrap.realPath };
}
