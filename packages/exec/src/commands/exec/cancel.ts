import { Args, Flags } from '@oclif/core';
import { OpenclawError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { configFlag, execContext, withStore } from './_shared.js';

export default class ExecCancel extends OpenclawCommand {
  static override summary = 'Cancel a queued or running job (a running job stops at its next heartbeat)';
  static override examples = [
    '<%= config.bin %> exec cancel j_mb2k9x0c1f3a5e7b9d1c3e5f',
    '<%= config.bin %> exec cancel j_mb2k9x0c1f3a5e7b9d1c3e5f --reason "superseded"',
  ];
  static override args = { job: Args.string({ description: 'The job id.', required: true, ignoreStdin: true }) };
  static override flags = { ...configFlag, reason: Flags.string({ description: 'Why (recorded in the ledger).', default: 'cancelled by a user' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ExecCancel);
    const ctx = await execContext(flags);
    const job = await withStore(ctx, (s) => s.cancel(args.job, ctx.actor, flags.reason));
    if (!job) throw new OpenclawError({ code: 'job_not_found', reason: `no job ${args.job}`, hint: 'openclaw exec status lists recent jobs' });
    this.output({ job }, () => (job.state === 'cancelled' ? `cancelled ${job.id}` : `${job.id} had already ended: ${job.state}`));
  }
}
