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
export { formatBytes, parseSize } from './size.js';
