/**
 * @openclaw/doctor — the health-check framework, its checks and the tailnet-aware port audit
 * (SPEC §7). This file is the package's public API: `runDoctor` for the CLI and the exec plane's
 * `doctor_task`, `registerCheck` for checks other packages own, and the port-audit pieces fix-ssh
 * reuses to verify what listens.
 */

export type { CheckDefinition, CheckOutcome, CheckResult, CheckStatus, SafeFix, Severity } from './check.js';
export type { ConfigState, DoctorContext } from './context.js';
export { type AppliedFix, applySafeFix } from './permissions.js';
export { type AddressClass, classifyAddress, formatEndpoint, isTailnetIPv4, parseIPv4, parseIPv6, parseIp, type Tier } from './ports/address.js';
export { type AuditedListener, auditCapture, auditListener, describeAudit, type PortAudit, type Verdict } from './ports/audit.js';
export { type Capture, type CaptureFormat, CaptureParseError, type Listener, type ProcessRef, parseEndpoint, parseListeners } from './ports/parse.js';
export { firstLine, type ProbeResult, probe } from './probe.js';
export { CHECK_ID, listChecks, registerCheck } from './registry.js';
export { type Paint, renderReport, sshdBox } from './render.js';
export { type DoctorOptions, type DoctorReport, runDoctor, selectChecks } from './run.js';
export { parseSshdEffective, type SshdEffective, type SshdListen, sshdListenAddresses } from './sshd-effective.js';
