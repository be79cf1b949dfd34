/**
 * The checks `openclaw doctor` runs, in report order. Other packages contribute checks with
 * `registerCheck` (a check with an existing id replaces it), or pass them to `runDoctor({checks})`
 * for one run.
 */
import type { CheckDefinition } from './check.js';
import { approvalsValid, approvalsWeakening } from './checks/approvals.js';
import { configValid } from './checks/config.js';
import { ledgerIntegrity, storeReachable } from './checks/exec-plane.js';
import { firewall } from './checks/firewall.js';
import { modelEndpoint } from './checks/model.js';
import { portsPublic } from './checks/ports.js';
import { allowlistsValid, repoHooks } from './checks/repo.js';
import { runtimeVersions } from './checks/runtime.js';
import { sandboxAvailable } from './checks/sandbox.js';
import { sshdConfig } from './checks/sshd.js';
import { statePermissions } from './checks/state.js';
import { systemdUserBus } from './checks/systemd.js';
import { tailscaleState } from './checks/tailscale.js';

const BUILTIN: readonly CheckDefinition[] = [
  runtimeVersions,
  configValid,
  approvalsValid,
  approvalsWeakening,
  statePermissions,
  allowlistsValid,
  sandboxAvailable,
  ledgerIntegrity,
  storeReachable,
  modelEndpoint,
  systemdUserBus,
  repoHooks,
  tailscaleState,
  sshdConfig,
  firewall,
  portsPublic,
];

export const CHECK_ID = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

const contributed = new Map<string, CheckDefinition>();

/** Adds a check to every later run, or replaces the one with the same id. */
export function registerCheck(def: CheckDefinition): void {
  if (!CHECK_ID.test(def.id)) throw new Error(`check id ${JSON.stringify(def.id)} must be lower-case words joined by dots`);
  contributed.set(def.id, def);
}

/** The checks of a run: built-ins (replaced where contributed), then new ones, then `extra`'s. */
export function listChecks(extra: readonly CheckDefinition[] = []): CheckDefinition[] {
  const byId = new Map<string, CheckDefinition>(BUILTIN.map((c) => [c.id, c]));
  for (const c of [...contributed.values(), ...extra]) {
    if (!CHECK_ID.test(c.id)) throw new Error(`check id ${JSON.stringify(c.id)} must be lower-case words joined by dots`);
    byId.set(c.id, c);
  }
  return [...byId.values()];
}
