/**
 * Ledger verification benchmark (SPEC §9): events verified per second — read from the embedded
 * store in pages, hash, seq and prev checked for every record — beside, in the same run, the floor
 * under it: SHA-256 of the same bodies already in memory (no reading, no parsing, no checks).
 * Target: ≥ 100,000 events/s.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerEvent } from '../packages/exec/src/ledger/record.js';
import { recordLine } from '../packages/exec/src/ledger/record.js';
import { verifyJsonl, verifyRecords } from '../packages/exec/src/ledger/verify.js';
import { SqliteStore } from '../packages/exec/src/store/sqlite.js';

const quick = process.env.BENCH_QUICK === '1';
const EVENTS = quick ? 30_000 : 300_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const home = mkdtempSync(join(tmpdir(), 'openclaw-bench-ledger-'));
try {
  const store = await SqliteStore.open(join(home, 'exec.db'));
  const actor = { workerId: 'host-a:1234:abcdef', host: 'host-a' };
  // A realistic mix: job lifecycle events and exec evidence with some output.
  for (let i = 0; i < EVENTS; i += 1000) {
    const batch: LedgerEvent[] = [];
    for (let k = 0; k < 1000; k++) {
      const n = i + k;
      batch.push(
        n % 4 === 0
          ? {
              type: 'exec.finished',
              data: { exit_code: 0, duration_ms: n % 900, evidence: [{ argv: ['git', 'status'], returncode: 0, stdout: `On branch main ${n}\n`, stderr: '' }] },
            }
          : { type: ['enqueue', 'claim', 'complete'][n % 3] as string, jobId: `j_${n.toString(36)}`, data: { job_type: 'repo_index_task', attempt: 1 } },
      );
    }
    await store.append(batch, actor);
  }
  const pages: { seq: number; body: string; hash: string }[][] = [];
  for await (const p of store.ledgerPages()) pages.push(p);
  const bodies = pages.flat().map((r) => r.body);
  const bytes = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);

  const time = async (fn: () => unknown | Promise<unknown>) => {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      await fn();
      best = Math.min(best, performance.now() - t);
    }
    return best / 1000;
  };
  const verifyStore = await time(async () => {
    const report = await verifyRecords(store.ledgerPages());
    if (!report.ok || report.records !== EVENTS) throw new Error(`verification failed: ${report.problem?.message}`);
  });
  const jsonl = `${pages
    .flat()
    .map((r) => recordLine(r))
    .join('\n')}\n`;
  const verifyExport = await time(() => {
    if (!verifyJsonl(jsonl).ok) throw new Error('export verification failed');
  });
  const rawHash = await time(() => {
    for (const b of bodies) createHash('sha256').update(b).digest('hex');
  });
  await store.close();
  const rate = (s: number) => Math.round(EVENTS / s).toLocaleString('en');
  console.log(`${EVENTS.toLocaleString('en')} events (${(bytes / EVENTS).toFixed(0)} bytes each on average), best of ${RUNS}`);
  console.log(
    `ledger verify (embedded store)  ${rate(verifyStore).padStart(9)} events/s | target ≥ 100,000/s: ${EVENTS / verifyStore >= 100_000 ? 'met' : 'NOT met'}`,
  );
  console.log(`ledger verify (JSONL export)    ${rate(verifyExport).padStart(9)} events/s`);
  console.log(
    `baseline: SHA-256 of the bodies in memory ${rate(rawHash).padStart(9)} events/s (verify is ${((EVENTS / verifyStore / (EVENTS / rawHash)) * 100).toFixed(0)}% of it)`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
