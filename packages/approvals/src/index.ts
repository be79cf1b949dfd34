/**
 * @openclaw/approvals — the approvals file writer, human-in-the-loop tokens and the Unix-socket
 * endpoint with its client (SPEC §4). This file is the package's deliberate public API.
 *
 * The file's schema and fail-closed reader stay in @openclaw/policy (policy check reads the file and
 * cannot depend on this package); they are re-exported here so users of approvals need one import.
 */

export {
  type ApprovalsSnapshot,
  approvalsPermissionProblem,
  defaultApprovalsPath,
  parseApprovalsText,
  readApprovalsFile,
} from '@openclaw/policy';
export { ApprovalsClient, ApprovalsClientError, type ApprovalsClientOptions, createApprovalsClient, type ExecAsk, type FinalAnswer } from './client/client.js';
export { connectApprovals } from './client/connect.js';
export type { ApprovalEvent } from './endpoint/actions.js';
export { type ApprovalsServer, type ApprovalsServerOptions, startApprovalsServer } from './endpoint/serve.js';
export { DEFAULT_LIMITS, type EndpointEvent, type EndpointLimits, type EndpointStats } from './endpoint/server.js';
export {
  type AllowlistChange,
  addAllowlistPattern,
  allowlistWarnings,
  executableKind,
  type PatternWarning,
  removeAllowlistPattern,
  SHARED_AGENT,
} from './file/allowlist.js';
export { type ApprovalsLocation, type LocateOptions, locateApprovals, readSocketToken } from './file/locate.js';
export {
  type ApprovalsDocument,
  ensureSocketToken,
  generateSocketToken,
  redactApprovals,
  replaceApprovalsFile,
  updateApprovalsFile,
  writeFileAtomically,
} from './file/write.js';
export { MAX_CLOCK_SKEW_MS, MAX_FRAME_BYTES, signRequest, signResponse, verifyRequest, verifyResponse } from './protocol/frame.js';
export type { ErrorAnswer, ExecAnswer, OperatorAnswer, PendingAnswer, PingAnswer } from './protocol/messages.js';
export { canonicalCwd, requestFingerprint } from './tokens/fingerprint.js';
export { DEFAULT_TTLS, type TokenBinding, type TokenRecord, type TokenRequestView, type TokenState, type TokenTtls } from './tokens/machine.js';
export { openSqliteTokenStore } from './tokens/sqlite-table.js';
export { createMemoryTokenStore, TokenStore } from './tokens/store.js';
