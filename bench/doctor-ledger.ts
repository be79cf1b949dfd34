/**
 * `openclaw doctor --only ledger.integrity` on embedded ledgers of growing length, beside the
 * unbounded `openclaw exec ledger verify` of the same ledger (same run): how long the doctor takes,
 * and up to which length it still verifies every record inside its 1 s bound (beyond, it reports
 * `unknown` "verified N of M" and stops). Target: the doctor check never takes much over its bound.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LedgerEvent, openStore } from '../packages/exec/src/index.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin/openclaw');
if (!existsSync(join(root, 'packages/cli/dist/run.js'))) {
  console.log('doctor ledger.integrity: not measured (the CLI is not built; run scripts/setup.sh)');
  process.exit(0);
}
const quick = process.env.BENCH_QUICK === '1';
const SIZES = quick ? [20_000] : [10_000, 100_000, 300_000, 600_000];
const RUNS = quick ? 2 : 5;
const BOUND_MS = 1000;

const home = mkdtempSync(join(tmpdir(), 'openclaw-bench-doctor-ledger-'));
try {
  const env = { ...process.env, OPENCLAW_HOME: home, NO_COLOR: '1' };
  const store = await openStore({ kind: 'sqlite', path: join(home, 'state/exec.db') }, { env });
  const actor = { workerId: 'host-a:1234:abcdef', host: 'host-a' };
  let have = 0;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const timed = (args: string[]) => {
    const t = performance.now();
    const r = spawnSync(bin, args, { env, cwd: home, encoding: 'utf8', maxBuffer: 64 << 20 });
    return { ms: performance.now() - t, out: r.stdout, code: r.status };
  };
  console.log(`${'records'.padStart(8)}  ${'doctor --only ledger.integrity'.padEnd(52)}  exec ledger verify (baseline)`);
  let worst = 0;
  for (const size of SIZES) {
    // The same mix as bench/ledger.ts: job lifecycle events and exec evidence with some output.
    for (; have < size; have += 1000) {
      const batch: LedgerEvent[] = [];
      for (let k = 0; k < 1000; k++) {
        const n = have + k;
        batch.push(
          n % 4 === 0
            ? {
                type: 'exec.finished',
                data: { exit_code: 0, duration_ms: n % 900, evidence: [{ argv: ['git', 'status'], returncode: 0, stdout: `On branch main ${n}\n` }] },
              }
            : { type: ['enqueue', 'claim', 'complete'][n % 3] as string, jobId: `j_${n.toString(36)}`, data: { job_type: 'repo_index_task', attempt: 1 } },
        );
      }
      await store.append(batch, actor);
    }
    const doctor: number[] = [];
    const verify: number[] = [];
    let last: { status: string; detail: string } | undefined;
    for (let r = 0; r < RUNS; r++) {
      const d = timed(['doctor', '--json', '--only', 'ledger.integrity']);
      last = JSON.parse(d.out).checks[0];
      doctor.push(d.ms);
      verify.push(timed(['exec', 'ledger', 'verify', '--json']).ms);
    }
    const d = median(doctor);
    worst = Math.max(worst, d);
    const what = last?.status === 'pass' ? 'pass, all verified' : `${last?.status}: ${last?.detail.replace(/ in the time budget.*/, '')}`;
    console.log(`${String(size).padStart(8)}  ${`${d.toFixed(0)} ms (${what})`.padEnd(52)}  ${median(verify).toFixed(0)} ms`);
  }
  await store.close();
  console.log(
    `target: the check ends near its ${BOUND_MS} ms bound at any length: ${worst < BOUND_MS + 500 ? 'met' : 'NOT met'} (slowest median ${worst.toFixed(0)} ms whole process; median of ${RUNS}, load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
