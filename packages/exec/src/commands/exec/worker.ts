import { Flags } from '@oclif/core';
import { DEFAULT_POLICY_PATH, detectSandbox, ExitCode, loadPolicy, userHome } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { agentRuntime } from '../../agent/runtime.js';
import { loadAllowlists } from '../../jobs/allowlists.js';
import { checkoutRepo } from '../../jobs/checkout.js';
import { builtinHandlers } from '../../jobs/handlers/index.js';
import { Worker, type WorkerSummary } from '../../worker/worker.js';
import { configFlag, execContext, hostId, withStore } from './_shared.js';

export default class ExecWorker extends OpenclawCommand {
  static override summary = 'Claim and run queued jobs (leases, heartbeats, kill switch, budgets)';
  static override description =
    'Runs until stopped (SIGTERM: running jobs finish within --grace, the rest go back to the queue; a second signal requeues at once). Stops claiming while the kill switch is on. Progress goes to stderr.';
  static override examples = [
    '<%= config.bin %> exec worker --once',
    '<%= config.bin %> exec worker --concurrency 4 --idle-exit 300',
    '<%= config.bin %> exec worker --host-id build-01 --json',
  ];
  static override flags = {
    ...configFlag,
    once: Flags.boolean({ description: 'Claim at most one job, run it and exit (exit at once when none is queued).' }),
    concurrency: Flags.integer({ description: 'Jobs run at the same time (default: exec.worker.concurrency or 1).', min: 1, max: 256 }),
    'idle-exit': Flags.integer({ description: 'Exit after this many seconds with nothing to do.', min: 0, helpValue: 'SECONDS' }),
    'host-id': Flags.string({ description: 'Host id recorded in the ledger (default: exec.worker.hostId or the hostname).', helpValue: 'ID' }),
    grace: Flags.integer({ description: 'Seconds running jobs may finish after SIGTERM before they are requeued (default 30).', min: 0, helpValue: 'SECONDS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecWorker);
    const ctx = await execContext(flags);
    const cfg = ctx.config.config;
    const w = cfg.exec?.worker ?? {};
    const allowlists = await loadAllowlists(cfg, ctx.config.file);
    const pathDirs = cfg.tools?.exec?.path ?? DEFAULT_POLICY_PATH;
    const concurrency = flags.concurrency ?? w.concurrency ?? 1;
    const summary = await withStore(
      ctx,
      async (store) => {
        const worker = new Worker({
          store,
          allowlists,
          handlers: builtinHandlers(),
          runtime: {
            pathDirs,
            sandbox: detectSandbox(cfg.sandbox?.backend ?? 'bwrap', pathDirs),
            sandboxImage: cfg.sandbox?.image,
            openclawHome: ctx.paths.home,
            artifactsDir: ctx.paths.artifactsDir,
            mirrorsDir: cfg.repos?.mirrors ?? ctx.paths.mirrorsDir,
            userHome: userHome(),
            checkout: checkoutRepo,
            ...agentRuntime(cfg, ctx.config.file, ctx.paths.home, pathDirs),
            policy: (await loadPolicy({ configFile: flags.config })).policy,
          },
          hostId: hostId(ctx.config, flags['host-id']),
          concurrency,
          ...(w.pollMs ? { pollMs: w.pollMs } : {}),
          ...(w.leaseSec ? { leaseSec: w.leaseSec } : {}),
          ...(w.heartbeatSec ? { heartbeatSec: w.heartbeatSec } : {}),
          once: flags.once,
          idleExitSec: flags['idle-exit'],
          graceSec: flags.grace ?? 30,
          log: (line) => this.note(`worker: ${line}`),
        });
        let signals = 0;
        const onSignal = (sig: string) => {
          signals++;
          this.note(`worker: ${sig}: ${signals === 1 ? 'finishing running jobs, claiming no more' : 'requeueing running jobs now'}`);
          worker.stop(signals === 1 ? 'graceful' : 'now');
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        this.note(`worker: ${worker.id} on ${ctx.target.kind} store, concurrency ${concurrency}${flags.once ? ', once' : ''}`);
        try {
          return await worker.run();
        } finally {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
      },
      { maxConnections: concurrency + 2 },
    );
    const failed = summary.jobs.some((j) => j.state !== 'completed');
    this.output(summary, () => this.render(summary), flags.once && failed ? ExitCode.failure : ExitCode.ok);
  }

  private render(s: WorkerSummary): string {
    const lines = [`worker ${s.workerId} stopped (${s.stoppedBy}): ${s.claimed} job(s) claimed${s.killSwitch ? '; the kill switch is on' : ''}`];
    for (const j of s.jobs) lines.push(`  ${j.id} ${j.type} ${j.state}${j.error ? `: ${j.error}` : ''}${j.artifactDir ? `  ${j.artifactDir}` : ''}`);
    if (s.claimed === 0 && !s.killSwitch) lines.push('  no queued job (openclaw exec enqueue …)');
    return lines.join('\n');
  }
}
