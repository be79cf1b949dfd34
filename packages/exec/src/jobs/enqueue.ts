/**
 * `exec enqueue`: a job request is validated against the allowlists before it reaches the queue —
 * its type must be listed, every parameter allowed and well-typed, a repo job must name a listed
 * repo and pin a full commit SHA, and a job that runs an argv must be granted `subprocess`.
 */
import { type JobRequest, OpenclawError, validateJobRequest } from '@openclaw/policy';
import type { Actor } from '../ledger/record.js';
import type { ExecStore, JobRecord, NewJob } from '../store/types.js';
import type { Allowlists } from './allowlists.js';

export function newJobFromRequest(allowlists: Pick<Allowlists, 'jobs' | 'repos'>, req: JobRequest, opts: { maxAttemptsCap?: number | undefined } = {}): NewJob {
  const v = validateJobRequest(allowlists.jobs, allowlists.repos, req);
  if (v.spec.handler === 'argv' && !v.spec.subprocess)
    throw new OpenclawError({
      code: 'subprocess_not_granted',
      reason: `job type ${req.type} runs a command but its job spec does not grant subprocess`,
      hint: 'set `subprocess: true` for it in the job allowlist if it should run commands',
      exitCode: 2,
    });
  const runtime = v.spec.budget.max_runtime_sec;
  return {
    type: v.type,
    params: v.params,
    ...(v.repo ? { repo: v.repo.name, ref: v.ref } : {}),
    maxAttempts: Math.min(v.spec.max_attempts, opts.maxAttemptsCap ?? Number.POSITIVE_INFINITY),
    timeoutSec: Math.min(v.spec.timeout_sec, runtime ?? Number.POSITIVE_INFINITY),
  };
}

export async function enqueueJob(
  store: ExecStore,
  allowlists: Pick<Allowlists, 'jobs' | 'repos'>,
  req: JobRequest,
  actor: Actor,
  opts: { maxAttemptsCap?: number | undefined } = {},
): Promise<JobRecord> {
  const [job] = await store.enqueue([newJobFromRequest(allowlists, req, opts)], actor);
  return job as JobRecord;
}
