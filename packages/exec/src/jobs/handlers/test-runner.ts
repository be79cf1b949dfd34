/**
 * test_runner_task: runs the argv the job allowlist defines (parameters substituted, one argument
 * each) in the repo's checkout at the pinned SHA — inside the sandbox unless the job spec says
 * `host: gateway`. Refused unless the job spec grants `subprocess: true`. The evidence goes to
 * `evidence.json`; exit 0 completes the job, anything else fails it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobHandler } from '../handler.js';

export const runTests: JobHandler = async (ctx) => {
  const { spec, argv } = ctx.validated;
  if (!spec.subprocess)
    return { state: 'failed', error: 'subprocess_not_granted: the job spec does not grant subprocess', result: { code: 'subprocess_not_granted' } };
  if (!argv || argv.length === 0) return { state: 'failed', error: 'the job spec has no argv to run', result: { code: 'job_spec_invalid' } };
  const co = await ctx.checkout();
  const exe = ctx.resolveExecutable(argv[0] as string, co.dir);
  if (!exe.ok) return { state: 'failed', error: `${argv[0]}: ${exe.reason}`, result: { code: exe.code } };
  const run = await ctx.runCommands([{ file: exe.realPath, argv }], { cwd: co.dir });
  writeFileSync(join(ctx.artifactDir, 'evidence.json'), `${JSON.stringify(run.evidence, null, 1)}\n`);
  const e = run.evidence[0];
  const result = {
    head: co.head,
    argv,
    exit_code: run.exitCode,
    timed_out: run.timedOut,
    duration_ms: run.durationMs,
    stdout_bytes: e?.stdout_bytes ?? 0,
    stderr_bytes: e?.stderr_bytes ?? 0,
    ...(e?.error ? { error: e.error } : {}),
  };
  if (run.exitCode === 0) return { state: 'completed', result, outputs: ['evidence.json'] };
  return { state: 'failed', error: run.timedOut ? 'timed out' : `exit ${run.exitCode}`, result, outputs: ['evidence.json'] };
};
