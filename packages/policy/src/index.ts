/**
 * @openclaw/policy — the shared policy core. This file is the package's deliberate public API: other
 * packages import from here (and from `@openclaw/policy/cli` for the command base class).
 */

export { AllowlistMatcher } from './allowlist/matcher.js';
export { type CompiledPattern, compilePattern, matchPattern, patternError } from './allowlist/pattern.js';
export { type Analysis, type AnalyzedSegment, analyzeCommand, type CommandInput } from './analysis/analyze.js';
export { checkText, MAX_COMMAND_BYTES, type Operator, tokenizeCommand } from './analysis/tokenize.js';
export {
  APPROVALS_FILE_NAME,
  type ApprovalsSnapshot,
  type ApprovalsText,
  approvalsPermissionProblem,
  defaultApprovalsPath,
  parseApprovalsText,
  readApprovalsFile,
  readApprovalsText,
} from './approvals/read.js';
export type { AllowlistEntry, ApprovalsAgent, ApprovalsFile } from './approvals/schema.js';
export { type ConfigIssue, formatIssue } from './config/errors.js';
export { ConfigInvalidError, type ConfigSource, discoverConfig, type LoadedConfig, loadConfig, parseConfigText, readConfigFile } from './config/load.js';
export type { ExecToolConfig, OpenclawConfig } from './config/schema.js';
export { ASK_MODES, type Ask, DEFAULTS, HOSTS, type Host, SECURITY_MODES, type Security } from './config/values.js';
export {
  ALWAYS_DENIED,
  CompiledPolicy,
  compilePolicy,
  type Decision,
  type DecisionRequest,
  type PolicyInputs,
  type Reason,
  type SegmentReport,
  type Verdict,
} from './decide.js';
export { buildChildEnv, type ChildEnvResult, envKeyRefusal } from './env/sanitize.js';
export { type ErrorInfo, ExitCode, OpenclawError, usageError } from './errors.js';
export { DEFAULT_POLICY_PATH, type ExecutableResolution, ExecutableResolver, resolveExecutable } from './executables/resolve.js';
export { openclawHome, userHome } from './home.js';
export { allowlistPath, bundledConfigPath, loadJobAllowlist, loadRepoAllowlist } from './jobs/load.js';
export type { Budget, JobAllowlist, JobSpec, ParamSpec, RepoAllowlist, RepoSpec } from './jobs/schema.js';
export { coerceParam, type JobRequest, type ParamValue, type ValidatedJob, validateJobRequest } from './jobs/validate.js';
export { approvalsPathFor, type LoadedPolicy, type LoadPolicyOptions, loadPolicy } from './load.js';
export { type CapturedOutput, capText, DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_TAIL_CHARS, OutputCapture, TRUNCATION_MARK } from './output/cap.js';
export { type PathCheck, resolveInsideRoot } from './paths/sandbox.js';
export { type EffectivePolicy, resolveEffective, type ToolParams } from './resolve/effective.js';
export { detectSandbox, type SandboxBackend, type SandboxStatus } from './sandbox/detect.js';
