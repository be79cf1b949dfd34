/**
 * @openclaw/fix-ssh — lock sshd to the host's Tailscale address, with backups, validation by the
 * real sshd (`sshd -t`, `sshd -T`), verification with `ss` and a full rollback on any failure
 * (SPEC §8). This file is the package's public API.
 */

export { type FixSshOptions, type FixSshResult, fixSsh, STEP_IDS, type StepId, type StepStatus } from './fix.js';
export { HostPaths } from './paths.js';
export { renderFixSsh } from './render.js';
export {
  DROPIN,
  DROPIN_OUTSIDE_GLOB,
  dropInContent,
  expandInclude,
  includeMatches,
  MAIN_CONFIG,
  MARKER,
  neutraliseConflicts,
  planDropIn,
  readConfigTree,
} from './sshd-config.js';
export { SERVICE_NAMES, SOCKET_NAMES } from './steps.js';
export { dropUnitDependency, orderingDropIn } from './systemd.js';
export { Refusal, validateTailnetAddress } from './tailscale.js';
