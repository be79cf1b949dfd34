/**
 * The worker (SPEC §5): claims jobs of the types it has handlers for, runs up to `concurrency` at a
 * time, keeps their leases alive, and records how each ended. It also:
 *   - requeues jobs whose lease expired (a worker that died mid-job), dead after max attempts;
 *   - heartbeats while idle (the workers table, and a ledger event every `heartbeatSec`);
 *   - stops claiming while the kill switch is on (checked in the claim transaction itself);
 *   - backs off when the store is unreachable (exponential, capped) and carries on when it is back,
 *     retrying the writes that record a job's end so nothing finished is lost;
 *   - on `stop('graceful')` (SIGTERM) claims nothing more, lets running jobs finish for `graceSec`,
 *     then hands the rest back to the queue; `stop('now')` hands them back at once.
 */
import { hostname } from 'node:os';
import type { Allowlists } from '../jobs/allowlists.js';
import type { HandlerRegistry } from '../jobs/handler.js';
import type { Actor } from '../ledger/record.js';
import type { ClaimResult, ExecStore, FinishOutcome, JobLease, LeaseStatus } from '../store/types.js';
import { type JobReport, type JobRunnerDeps, type RunningJob, startJob, type WorkerRuntime } from './run-job.js';

export type { JobReport, WorkerRuntime } from './run-job.js';

export interface WorkerOptions {
  store: ExecStore;
  allowlists: Pick<Allowlists, 'jobs' | 'repos'>;
  handlers: HandlerRegistry;
  runtime: WorkerRuntime;
  hostId?: string;
  workerId?: string;
  concurrency?: number;
  pollMs?: number;
  leaseSec?: number;
  heartbeatSec?: number;
  /** Claim at most one job, run it, exit (exit at once when none is queued). */
  once?: boolean;
  /** Exit after this many seconds with nothing to do. */
  idleExitSec?: number | undefined;
  /** How long running jobs may finish after a graceful stop before they are requeued. */
  graceSec?: number;
  log?: (line: string) => void;
  /** Observes what the worker does (tests, progress output). */
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'poll'; claimed: number; killSwitch: boolean }
  | { type: 'claimed'; jobId: string; jobType: string; attempt: number }
  | { type: 'finished'; report: JobReport }
  | { type: 'reaped'; jobId: string; state: 'queued' | 'dead' }
  | { type: 'store_error'; message: string; backoffMs: number }
  | { type: 'store_recovered' };

export interface WorkerSummary {
  workerId: string;
  host: string;
  claimed: number;
  jobs: JobReport[];
  killSwitch: boolean;
  stoppedBy: 'once' | 'idle' | 'stop';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Worker {
  readonly id: string;
  readonly host: string;
  private readonly actor: Actor;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseSec: number;
  private readonly heartbeatSec: number;
  private readonly running = new Map<string, RunningJob>();
  private readonly reports: JobReport[] = [];
  private stopping: 'graceful' | 'now' | undefined;
  private wake: (() => void) | undefined;
  private backoffMs = 0;
  private claimed = 0;
  private killSwitch = false;
  /** Slots promised to claims in flight (so a claim and a finish-and-claim never take too many). */
  private reserved = 0;
  /** Set when a stop hands running jobs back: a job claimed by a finish still in flight goes back too. */
  private handingBack = false;
  /** Jobs claimed by a job's finish, started when that job is done (by its id). */
  private readonly claimedNext = new Map<string, { res: ClaimResult; limit: number }>();
  private readonly types: string[];
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly opts: WorkerOptions) {
    this.host = opts.hostId ?? hostname();
    this.id = opts.workerId ?? `${this.host}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.actor = { workerId: this.id, host: this.host };
    this.concurrency = Math.max(1, opts.once ? 1 : (opts.concurrency ?? 1));
    this.pollMs = opts.pollMs ?? 500;
    this.leaseSec = opts.leaseSec ?? 60;
    this.heartbeatSec = opts.heartbeatSec ?? Math.max(1, Math.floor(this.leaseSec / 4));
    this.types = [...opts.handlers.keys()];
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private emit(e: WorkerEvent): void {
    this.opts.onEvent?.(e);
  }

  /** Stops claiming; `now` also hands running jobs back at once. */
  stop(mode: 'graceful' | 'now' = 'graceful'): void {
    if (this.stopping === 'now') return;
    this.stopping = mode === 'now' ? 'now' : (this.stopping ?? 'graceful');
    if (this.stopping === 'now') for (const r of this.running.values()) r.abort('shutdown');
    this.wake?.();
  }

  /** Retries a store call with backoff until it succeeds (or the worker is stopped now). */
  private persist = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        const out = await fn();
        this.storeOk();
        return out;
      } catch (e) {
        if (this.stopping === 'now' && delay >= 5000) throw e;
        this.backoffMs = Math.max(this.backoffMs, delay);
        this.log(`store write (${what}) failed: ${(e as Error).message}; retrying in ${delay} ms`);
        this.emit({ type: 'store_error', message: (e as Error).message, backoffMs: delay });
        await sleep(delay);
      }
    }
  };

  private storeOk(): void {
    if (this.backoffMs > 0) {
      this.backoffMs = 0;
      this.log('store reachable again');
      this.emit({ type: 'store_recovered' });
    }
  }

  private async storeFailed(e: unknown): Promise<void> {
    this.backoffMs = Math.min(Math.max(100, this.backoffMs * 2), 5000);
    this.log(`store unavailable: ${(e as Error).message}; backing off ${this.backoffMs} ms`);
    this.emit({ type: 'store_error', message: (e as Error).message, backoffMs: this.backoffMs });
    await this.idle(this.backoffMs);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private info(state: 'idle' | 'busy' | 'stopping' | 'stopped') {
    return { id: this.id, host: this.host, pid: process.pid, state, running: this.running.size, concurrency: this.concurrency, startedAt: this.startedAt };
  }

  private lastBeat = 0;
  private beatDue(now = Date.now()): boolean {
    return now - this.lastBeat >= this.heartbeatSec * 1000;
  }
  private async heartbeat(force = false): Promise<void> {
    const now = Date.now();
    if (!force && !this.beatDue(now)) return;
    const idle = this.running.size === 0;
    await this.opts.store.workerHeartbeat(this.info(this.stopping ? 'stopping' : idle ? 'idle' : 'busy'), this.actor, idle ? { idle: true } : undefined);
    this.lastBeat = now;
  }

  private lastReap = 0;
  /** Leases are seconds long: looking for expired ones about twice per lease is enough. */
  private reapDue(): boolean {
    return Date.now() - this.lastReap >= Math.min(5000, Math.max(this.pollMs, (this.leaseSec * 1000) / 2));
  }
  private async reap(): Promise<void> {
    if (!this.reapDue()) return;
    this.lastReap = Date.now();
    for (const r of await this.opts.store.reapExpired(this.actor)) {
      this.log(`job ${r.jobId}: lease expired → ${r.state} (attempts ${r.attempts})`);
      this.emit({ type: 'reaped', jobId: r.jobId, state: r.state });
    }
  }

  /** What a claim found: note the kill switch, start the jobs. */
  private took(res: ClaimResult): void {
    if (res.killSwitch !== this.killSwitch) this.log(res.killSwitch ? 'kill switch is on: not claiming' : 'kill switch is off: claiming again');
    this.killSwitch = res.killSwitch;
    this.emit({ type: 'poll', claimed: res.jobs.length, killSwitch: res.killSwitch });
    for (const job of res.jobs) this.start(job);
  }

  /**
   * Records a job's end. When the store can, the same write claims the next job(s) for the slot
   * this job frees — unless the worker is stopping, runs once, or is due to reap or heartbeat (the
   * loop does those, then claims). The jobs claimed start once this one is reported finished and
   * has left `running`; until then their slots stay reserved.
   */
  private finishJob = async (lease: JobLease, outcome: FinishOutcome): Promise<LeaseStatus> => {
    const store = this.opts.store;
    // `running` still holds the finishing job: its slot is the +1.
    const limit = this.concurrency - this.running.size - this.reserved + 1;
    if (!store.finishAndClaim || limit <= 0 || this.stopping || this.opts.once || this.reapDue() || this.beatDue())
      return this.persist('finish', () => store.finish(lease, this.actor, outcome));
    this.reserved += limit;
    try {
      const r = await this.persist('finish', () =>
        (store.finishAndClaim as NonNullable<ExecStore['finishAndClaim']>)(lease, this.actor, outcome, { leaseSec: this.leaseSec, types: this.types, limit }),
      );
      this.claimedNext.set(lease.jobId, { res: r.next, limit });
      return r.status;
    } catch (e) {
      this.reserved -= limit;
      throw e;
    }
  };

  /** What every job runner gets (the same for each job). */
  private jobDeps: JobRunnerDeps | undefined;

  private start(job: Parameters<typeof startJob>[0]): void {
    this.claimed++;
    if (this.opts.log) this.log(`job ${job.id}: claimed ${job.type} (attempt ${job.attempts})`);
    this.jobDeps ??= {
      store: this.opts.store,
      actor: this.actor,
      allowlists: this.opts.allowlists,
      handlers: this.opts.handlers,
      runtime: this.opts.runtime,
      leaseSec: this.leaseSec,
      heartbeatSec: this.heartbeatSec,
      log: (l) => this.log(l),
      persist: this.persist,
      finish: this.finishJob,
    };
    const r = startJob(job, this.jobDeps);
    this.running.set(job.id, r);
    this.emit({ type: 'claimed', jobId: job.id, jobType: job.type, attempt: job.attempts });
    if (this.stopping === 'now' || this.handingBack) r.abort('shutdown');
    r.done.then(
      (report) => {
        try {
          this.reports.push(report);
          if (this.opts.log) this.log(`job ${job.id}: ${report.state}${report.error ? ` (${report.error})` : ''}`);
          this.emit({ type: 'finished', report });
        } catch (e) {
          this.log(`job ${job.id}: worker error ${(e as Error).message}`);
        }
        this.ended(job.id);
      },
      (e) => {
        this.log(`job ${job.id}: worker error ${(e as Error).message}`);
        this.ended(job.id);
      },
    );
  }

  /** A job has been reported: its slot is free; start what its finish claimed. */
  private ended(jobId: string): void {
    this.running.delete(jobId);
    const next = this.claimedNext.get(jobId);
    if (next) {
      this.claimedNext.delete(jobId);
      this.reserved -= next.limit;
      this.took(next.res);
    }
    // The loop has something to do only when a slot is free (a claim, the once/idle exits, the
    // drain): a job whose finish claimed its successor leaves every slot taken.
    if (this.running.size + this.reserved < this.concurrency) this.wake?.();
  }

  async run(): Promise<WorkerSummary> {
    let idleSince = Date.now();
    let stoppedBy: WorkerSummary['stoppedBy'] = 'stop';
    for (;;) {
      try {
        await this.heartbeat(this.lastBeat === 0);
        break;
      } catch (e) {
        if (this.stopping) return this.summary('stop');
        await this.storeFailed(e);
      }
    }
    while (!this.stopping) {
      if (this.opts.once && this.claimed >= 1) {
        if (this.running.size === 0) {
          stoppedBy = 'once';
          break;
        }
        await this.idle(this.pollMs);
        continue;
      }
      let got = 0;
      if (this.running.size + this.reserved < this.concurrency) {
        try {
          await this.reap();
          const limit = this.concurrency - this.running.size - this.reserved;
          if (limit > 0) {
            this.reserved += limit;
            try {
              const res = await this.opts.store.claim(this.actor, { leaseSec: this.leaseSec, types: this.types, limit });
              this.storeOk();
              got = res.jobs.length;
              this.took(res);
            } finally {
              this.reserved -= limit;
            }
          }
          await this.heartbeat();
        } catch (e) {
          await this.storeFailed(e);
          continue;
        }
      }
      if (got > 0 || this.running.size > 0) idleSince = Date.now();
      else if (this.opts.once) {
        stoppedBy = 'once';
        break;
      } else if (this.opts.idleExitSec !== undefined && Date.now() - idleSince >= this.opts.idleExitSec * 1000) {
        stoppedBy = 'idle';
        break;
      }
      if (got > 0 && this.running.size < this.concurrency) continue;
      await this.idle(this.pollMs);
    }
    await this.drain();
    return this.summary(stoppedBy);
  }

  /** Waits for running jobs; when stopped: the grace period (graceful only), then hands the rest back. */
  private async drain(): Promise<void> {
    if (this.running.size > 0 && this.stopping) {
      if (this.stopping === 'graceful') {
        this.log(`stopping: waiting up to ${this.opts.graceSec ?? 30} s for ${this.running.size} running job(s)`);
        const deadline = Date.now() + (this.opts.graceSec ?? 30) * 1000;
        while (this.running.size > 0 && Date.now() < deadline && this.stopping === 'graceful') await this.idle(Math.min(200, deadline - Date.now()));
      }
      this.handingBack = true;
      for (const r of this.running.values()) r.abort('shutdown');
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    // Wait for the bookkeeping of the last reports (the .finally above).
    while (this.running.size > 0) await sleep(5);
    try {
      await this.opts.store.workerHeartbeat(this.info('stopped'), this.actor);
    } catch (e) {
      this.log(`could not record the worker as stopped: ${(e as Error).message}`);
    }
  }

  private summary(stoppedBy: WorkerSummary['stoppedBy']): WorkerSummary {
    return { workerId: this.id, host: this.host, claimed: this.claimed, jobs: this.reports, killSwitch: this.killSwitch, stoppedBy };
  }
}
