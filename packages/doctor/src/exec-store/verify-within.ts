/**
 * Chain verification under a deadline: the exec plane's `ChainChecker`, fed page by page, stopping
 * at the first bad record or when time runs out. Between pages the event loop gets a turn, so the
 * doctor's other checks (child processes, an HTTP probe) keep moving while a long ledger is read.
 */
import { ChainChecker, type Checkpoint, type VerifyReport } from '@openclaw/exec';
import type { LedgerReader } from './reader.js';

const PAGE = 5000;

export interface BoundedVerify {
  /** Every record was read (or a bad one found): `report` is the whole answer. */
  complete: boolean;
  report: VerifyReport;
  /** Records verified good so far. */
  verified: number;
  ms: number;
}

export async function verifyWithin(reader: LedgerReader, checkpoint: Pick<Checkpoint, 'seq' | 'hash'> | undefined, deadline: number): Promise<BoundedVerify> {
  const started = performance.now();
  const checker = new ChainChecker(checkpoint);
  const done = (complete: boolean): BoundedVerify => {
    const report = checker.report();
    return { complete, report, verified: report.records, ms: Math.round(performance.now() - started) };
  };
  let after = 0;
  for (;;) {
    if (performance.now() >= deadline) return done(false);
    const page = await reader.page(after, PAGE);
    for (const r of page) if (!checker.push(r)) return done(true);
    if (page.length < PAGE) return done(true);
    after = (page.at(-1) as { seq: number }).seq;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
