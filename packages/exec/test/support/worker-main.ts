/**
 * A worker process for the robustness tests: the real Worker and store in their own process, with
 * the test job types. Config is one JSON argument; the summary is printed as JSON on exit. Bundled
 * by `worker-process.ts` so it starts as fast as the CLI would.
 */
import { DEFAULT_POLICY_PATH, detectSandbox } from '@openclaw/policy';
import { checkoutRepo } from '../../src/jobs/checkout.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { ExecStore } from '../../src/store/types.js';
import { Worker } from '../../src/worker/worker.js';
import { repos } from './allowlists.js';
import { testHandlers, testJobs } from './test-handlers.js';

export interface WorkerProcessConfig {
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };
  home: string;
  hostId: string;
  workerId?: string;
  concurrency?: number;
  pollMs?: number;
  leaseSec?: number;
  heartbeatSec?: number;
  idleExitSec?: number;
}

const cfg = JSON.parse(process.argv[2] as string) as WorkerProcessConfig;
const log = (line: string) => process.stderr.write(`[${cfg.workerId ?? cfg.hostId}] ${line}\n`);
let store: ExecStore | undefined;
for (let delay = 100; !store; delay = Math.min(delay * 2, 2000)) {
  try {
    store =
      cfg.store.kind === 'sqlite'
        ? await SqliteStore.open(cfg.store.path)
        : await PostgresStore.open(cfg.store.url, { schema: cfg.store.schema, onIdleError: (e) => log(`idle connection: ${e.message}`) });
  } catch (e) {
    log(`store unavailable at start: ${(e as Error).message}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
const worker = new Worker({
  store,
  allowlists: { jobs: testJobs, repos: repos({}) },
  handlers: testHandlers,
  runtime: {
    pathDirs: DEFAULT_POLICY_PATH,
    sandbox: detectSandbox('bwrap', DEFAULT_POLICY_PATH),
    openclawHome: cfg.home,
    artifactsDir: `${cfg.home}/artifacts`,
    mirrorsDir: `${cfg.home}/mirrors`,
    userHome: cfg.home,
    checkout: checkoutRepo,
  },
  hostId: cfg.hostId,
  ...(cfg.workerId ? { workerId: cfg.workerId } : {}),
  concurrency: cfg.concurrency ?? 1,
  pollMs: cfg.pollMs ?? 20,
  leaseSec: cfg.leaseSec ?? 30,
  ...(cfg.heartbeatSec ? { heartbeatSec: cfg.heartbeatSec } : {}),
  idleExitSec: cfg.idleExitSec ?? 1,
  log,
});
process.on('SIGTERM', () => worker.stop('graceful'));
const summary = await worker.run();
process.stdout.write(`${JSON.stringify({ ...summary, jobs: summary.jobs.length })}\n`);
await store.close();
