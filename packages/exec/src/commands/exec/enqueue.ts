import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { loadAllowlists } from '../../jobs/allowlists.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { configFlag, execContext, keyValues, withStore } from './_shared.js';

export default class ExecEnqueue extends OpenclawCommand {
  static override summary = 'Queue a job, validated against the job and repo allowlists';
  static override description =
    'The job type must be in the job allowlist, every --param one of its allowed_params and well-typed, and a repo job must name an allowlisted repo and pin a full commit SHA. A worker runs it (`openclaw exec worker`).';
  static override examples = [
    '<%= config.bin %> exec enqueue repo_index_task --repo openclaw --ref 0123456789abcdef0123456789abcdef01234567',
    '<%= config.bin %> exec enqueue test_runner_task --param runner=make --repo demo --ref $(git rev-parse HEAD)',
    '<%= config.bin %> exec enqueue doc_compactor_task --param docs_dir=docs --param max_chars=20000 --repo demo --ref SHA --json',
  ];
  static override args = { type: Args.string({ description: 'Job type (from the job allowlist).', required: true, ignoreStdin: true }) };
  static override flags = {
    ...configFlag,
    param: Flags.string({ char: 'p', description: 'A job parameter (repeatable).', multiple: true, helpValue: 'KEY=VALUE' }),
    repo: Flags.string({ description: 'Repository name from the repo allowlist.', helpValue: 'NAME' }),
    ref: Flags.string({ description: 'The full commit SHA to run against.', helpValue: 'SHA' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ExecEnqueue);
    const ctx = await execContext(flags);
    const allowlists = await loadAllowlists(ctx.config.config, ctx.config.file);
    const job = await withStore(ctx, (store) =>
      enqueueJob(store, allowlists, { type: args.type, params: keyValues(flags.param, 'param'), repo: flags.repo, ref: flags.ref }, ctx.actor, {
        maxAttemptsCap: ctx.config.config.exec?.worker?.maxAttempts,
      }),
    );
    this.output({ job, store: { kind: ctx.target.kind } }, () => {
      const params = Object.entries(job.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return `queued ${job.id} ${job.type}${job.repo ? ` ${job.repo}@${job.ref?.slice(0, 12)}` : ''}${params ? ` ${params}` : ''} (max ${job.maxAttempts} attempts, timeout ${job.timeoutSec} s)`;
    });
  }
}
