import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { OpenclawError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import type { LedgerRecord } from '../../ledger/record.js';
import { STALE_AFTER_MS } from '../../ops/health.js';
import { fallbackWorker } from '../../ops/service.js';
import { JOB_STATES, type JobRecord } from '../../store/types.js';
import { configFlag, execContext, withStore } from './_shared.js';

export default class ExecStatus extends OpenclawCommand {
  static override summary = 'Show the queue, the workers and the kill switch — or one job and its events';
  static override examples = [
    '<%= config.bin %> exec status',
    '<%= config.bin %> exec status j_mb2k9x0c1f3a5e7b9d1c3e5f --json',
    '<%= config.bin %> exec status --limit 50',
  ];
  static override args = { job: Args.string({ description: 'A job id: show that job, its ledger events and its artifacts.', ignoreStdin: true }) };
  static override flags = { ...configFlag, limit: Flags.integer({ description: 'Recent jobs to list (default 10).', min: 1, max: 1000 }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ExecStatus);
    const ctx = await execContext(flags);
    if (args.job) {
      const { job, events } = await withStore(ctx, async (s) => ({ job: await s.getJob(args.job as string), events: await s.jobEvents(args.job as string) }));
      if (!job)
        throw new OpenclawError({
          code: 'job_not_found',
          reason: `no job ${args.job} in the ${ctx.target.kind} store`,
          hint: 'openclaw exec status lists recent jobs',
        });
      const evs = events.map((r) => JSON.parse(r.body) as LedgerRecord);
      const dir = `${ctx.paths.artifactsDir}/${job.id}`;
      const artifactDir = existsSync(dir) ? dir : null;
      this.output({ job, events: evs, artifact_dir: artifactDir }, () =>
        [
          `${job.id} ${job.type} ${job.state} (attempt ${job.attempts}/${job.maxAttempts})${job.error ? `: ${job.error}` : ''}`,
          ...(job.repo ? [`  repo ${job.repo}@${job.ref}`] : []),
          ...(Object.keys(job.params).length ? [`  params ${JSON.stringify(job.params)}`] : []),
          ...(job.result ? [`  result ${JSON.stringify(job.result)}`] : []),
          `  artifacts ${artifactDir ?? '(none)'}`,
          ...evs.map((e) => `  #${e.seq} ${e.ts} ${e.type} by ${e.worker_id}@${e.host}`),
        ].join('\n'),
      );
      return;
    }
    const snapshot = await withStore(ctx, async (s) => {
      const [counts, ks, workers, recent] = await Promise.all([s.jobCounts(), s.killSwitch(), s.workers(), s.listJobs({ limit: flags.limit ?? 10 })]);
      return { counts, ks, workers, recent };
    });
    const fb = fallbackWorker(ctx.paths);
    const now = Date.now();
    const workers = snapshot.workers.map((w) => ({ ...w, stale: w.state !== 'stopped' && now - Date.parse(w.lastSeen) > STALE_AFTER_MS }));
    const result = {
      store: { kind: ctx.target.kind, location: ctx.target.kind === 'sqlite' ? ctx.target.path : undefined },
      kill_switch: snapshot.ks,
      jobs: snapshot.counts,
      workers,
      fallback_worker: fb ? { pid: fb.record.pid, running: fb.running, log: fb.record.log } : null,
      recent: snapshot.recent,
    };
    this.output(result, () => {
      const c = this.colors;
      const lines = [
        `store ${ctx.target.kind}  kill switch ${snapshot.ks.on ? c.red.bold(`ON${snapshot.ks.reason ? ` (${snapshot.ks.reason})` : ''}`) : 'off'}`,
        `jobs  ${JOB_STATES.map((s) => `${s}=${snapshot.counts[s]}`).join(' ')}`,
        `workers ${workers.filter((w) => w.state !== 'stopped' && !w.stale).length} live`,
        ...workers.slice(0, 10).map((w) => `  ${w.id} ${w.state}${w.stale ? ' (stale)' : ''} running=${w.running}/${w.concurrency} last seen ${w.lastSeen}`),
        ...(fb ? [`fallback worker pid ${fb.record.pid} ${fb.running ? 'running' : 'not running'} (log ${fb.record.log})`] : []),
        'recent',
        ...snapshot.recent.map(
          (j: JobRecord) => `  ${j.id} ${j.type.padEnd(20)} ${j.state.padEnd(10)} attempts ${j.attempts}/${j.maxAttempts}  ${j.updatedAt}`,
        ),
      ];
      if (snapshot.recent.length === 0) lines.push('  (no jobs yet: openclaw exec enqueue JOB_TYPE …)');
      return lines.join('\n');
    });
  }
}
