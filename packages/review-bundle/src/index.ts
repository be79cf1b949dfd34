/**
 * @openclaw/review-bundle — review bundles, SIZE_CAP packets, verdicts and the review-gated push
 * (SPEC §6). This file is the package's public API; `buildReviewBundle` is what the exec plane's
 * `review_bundle_task` calls inside its read-only executor.
 */

export type { CoverageEntry, CoverageStatus, RedactionEntry } from './bundle/assemble.js';
export { type BuildOptions, type BuildProgress, type BuildResult, buildReviewBundle, DEFAULT_SIZE_CAP, defaultStamp, MIN_SIZE_CAP } from './bundle/build.js';
export { DEFAULT_EXCLUDES, type ExcludeRule } from './bundle/exclude.js';
export { ARCHIVE_NAME, type Artifact, PATCH_NAME, type SizeCapMeta } from './bundle/publish.js';
export { SECRET_RULES } from './bundle/redact.js';
export { EMPTY_TREE } from './git/run.js';
export { finishReview } from './review/finish.js';
export { checkPush, type GateUpdateResult, type PushUpdate, parsePrePushInput } from './review/gate.js';
export { installHooks, PRE_PUSH_HOOK } from './review/hooks.js';
export { DEFAULT_API_BASE, endpointFromEnv, type ModelEndpoint } from './review/model.js';
export { type RunReviewOptions, type RunReviewResult, runReview } from './review/run.js';
export { BASELINE_FILE, readBaseline, storeVerdict, verdictDir, verdictPath } from './review/store.js';
export { checkUpdateGate, type UpdateGateResult } from './review/update-gate.js';
export { checkVerdict, readVerdict, Verdict, verdictJsonSchema } from './review/verdict.js';
export { formatBytes, parseSize } from './size.js';
