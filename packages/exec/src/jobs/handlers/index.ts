/** The job types this exec plane implements. */

import { runAgent } from '../../agent/agent-task.js';
import type { JobHandler } from '../handler.js';
import { compactDocs } from './doc-compactor.js';
import { runDoctorTask, runReviewBundleTask } from './openclaw-cli.js';
import { indexRepo } from './repo-index.js';
import { runTests } from './test-runner.js';

export function builtinHandlers(): Map<string, JobHandler> {
  return new Map<string, JobHandler>([
    ['repo_index_task', indexRepo],
    ['doc_compactor_task', compactDocs],
    ['test_runner_task', runTests],
    ['doctor_task', runDoctorTask],
    ['review_bundle_task', runReviewBundleTask],
    ['agent_task', runAgent],
  ]);
}
