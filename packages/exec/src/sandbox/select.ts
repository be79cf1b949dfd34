/**
 * Choosing the sandbox for a command (host `sandbox`): the configured backend, proved to work here,
 * or a deny with the reason and the command that fixes it — nothing runs unsandboxed.
 */
import type { Reason, SandboxStatus } from '@openclaw/policy';
import type { Launcher } from '../runner/types.js';
import { bwrapLauncher, defaultHiddenPaths, probeBwrap, type SandboxBind, type SandboxWeakening } from './bwrap.js';
import { dockerLauncher, probeDockerEngine } from './docker.js';

export interface SandboxRequest {
  status: SandboxStatus;
  openclawHome: string;
  /** Read-write workspace (null: only `binds`). */
  workspace: string | null;
  binds?: SandboxBind[];
  /** `sandbox.image` for docker. */
  image?: string | undefined;
  /** Whose home's secrets are hidden (HOME). */
  env?: NodeJS.ProcessEnv;
  /** Test only. */
  weaken?: SandboxWeakening;
}

export type SandboxChoice = { ok: true; launcher: Launcher; detail: string } | { ok: false; reason: Reason };

const USERNS_HINT = 'enable user namespaces: sudo sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1';

/** Why bwrap failed to start, and the fix for the usual causes. */
export function bwrapFailure(reason: string, fallbackHint?: string): Reason {
  const userns = /user namespace|uid map|setting up uid|No permissions to creat|Operation not permitted|clone/i.test(reason);
  return {
    code: 'sandbox_unavailable',
    message: `bwrap cannot create its sandbox here: ${reason}`,
    hint: userns ? USERNS_HINT : (fallbackHint ?? 'run `openclaw sandbox attest` to see what the sandbox can do on this machine'),
  };
}

export function sandboxLauncher(req: SandboxRequest): SandboxChoice {
  const sb = req.status;
  if (!sb.available || !sb.binary)
    return {
      ok: false,
      reason: { code: 'sandbox_unavailable', message: `the ${sb.backend} sandbox is unavailable: ${sb.reason}`, ...(sb.hint ? { hint: sb.hint } : {}) },
    };
  try {
    if (sb.backend === 'docker') {
      if (!req.image)
        return {
          ok: false,
          reason: {
            code: 'sandbox_image_missing',
            message: 'the docker sandbox needs an image',
            hint: 'set sandbox.image in openclaw.yaml (e.g. debian:12-slim, pulled beforehand)',
          },
        };
      const engine = probeDockerEngine(sb.binary, req.env);
      if (!engine.ok)
        return {
          ok: false,
          reason: {
            code: 'sandbox_unavailable',
            message: `no Docker engine answered: ${engine.reason}`,
            hint: 'start the Docker engine (sudo systemctl start docker), or use sandbox.backend: bwrap',
          },
        };
      const launcher = dockerLauncher({
        docker: sb.binary,
        image: req.image,
        workspace: req.workspace,
        binds: req.binds ?? [],
        shareNetwork: req.weaken?.shareNetwork ?? false,
      });
      return { ok: true, launcher, detail: `docker engine ${engine.version}, image ${req.image}` };
    }
    const probe = probeBwrap(sb.binary);
    if (!probe.ok) return { ok: false, reason: bwrapFailure(probe.reason, sb.hint) };
    const launcher = bwrapLauncher({
      bwrap: sb.binary,
      workspace: req.workspace,
      binds: req.binds ?? [],
      hide: defaultHiddenPaths(req.openclawHome, req.env),
      ...(req.weaken ? { weaken: req.weaken } : {}),
    });
    return { ok: true, launcher, detail: sb.reason };
  } catch (e) {
    const err = e as { code?: string; reason?: string; hint?: string; message: string };
    return { ok: false, reason: { code: err.code ?? 'sandbox_unavailable', message: err.reason ?? err.message, ...(err.hint ? { hint: err.hint } : {}) } };
  }
}
