/**
 * Verifying the chain (SPEC §5): every record's hash is the SHA-256 of its body, its `seq` is the
 * next number, its `prev` the hash of the record before. The first record that breaks a rule is
 * named: an edited record fails its hash; a deleted one leaves a gap; a reordered pair puts a seq out
 * of place; a changed record also breaks the `prev` of the one after it. A deleted *tail* leaves a
 * valid shorter chain, so truncation is found only against a signed checkpoint: the chain must still
 * reach the checkpoint's seq, with the checkpoint's hash there.
 */
import { createHash } from 'node:crypto';
import type { Checkpoint } from './checkpoint.js';
import { canonicalJson, GENESIS_PREV, type LedgerHead, type StoredRecord } from './record.js';

export type LedgerProblemCode =
  | 'malformed'
  | 'not_canonical'
  | 'seq_column_mismatch'
  | 'hash_mismatch'
  | 'record_missing'
  | 'out_of_order'
  | 'prev_mismatch'
  | 'truncated'
  | 'checkpoint_mismatch';

export interface LedgerProblem {
  code: LedgerProblemCode;
  /** The seq of the first bad record (as stored), or null when it has none. */
  seq: number | null;
  /** 1-based position in the order read (the line number of an export). */
  position: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Records read before the first problem (all of them when ok). */
  records: number;
  head: LedgerHead | null;
  problem?: LedgerProblem;
  checkpoint?: { seq: number; hash: string; status: 'matched' | 'mismatch' | 'beyond_head' };
}

/** Checks records one by one, in the order read; stops at the first problem. */
export class ChainChecker {
  private prev = GENESIS_PREV;
  private expected = 1;
  private position = 0;
  problem: LedgerProblem | undefined;
  private checkpointHit: 'matched' | 'mismatch' | undefined;

  constructor(private readonly checkpoint?: Pick<Checkpoint, 'seq' | 'hash'>) {}

  private fail(code: LedgerProblemCode, seq: number | null, message: string): false {
    this.problem = { code, seq, position: this.position, message };
    return false;
  }

  /** Returns false at the first problem (then `problem` says what). */
  push(r: StoredRecord): boolean {
    if (this.problem) return false;
    this.position++;
    let body: { seq?: unknown; prev?: unknown };
    try {
      body = JSON.parse(r.body);
    } catch {
      return this.fail('malformed', r.seq, `record seq ${r.seq} (position ${this.position}) is not valid JSON`);
    }
    if (typeof body !== 'object' || body === null || typeof body.seq !== 'number' || typeof body.prev !== 'string')
      return this.fail('malformed', r.seq, `record seq ${r.seq} (position ${this.position}) lacks seq or prev`);
    if (body.seq !== r.seq)
      return this.fail('seq_column_mismatch', r.seq, `record stored as seq ${r.seq} holds the body of seq ${body.seq}: records were swapped or edited`);
    if (createHash('sha256').update(r.body).digest('hex') !== r.hash)
      return this.fail('hash_mismatch', r.seq, `record seq ${r.seq}: its hash does not match its content (the record was edited)`);
    if (r.seq !== this.expected) {
      return r.seq > this.expected
        ? this.fail(
            'record_missing',
            r.seq,
            `record seq ${this.expected} is missing: seq ${r.seq} follows seq ${this.expected - 1} (a record was deleted or the records were reordered)`,
          )
        : this.fail('out_of_order', r.seq, `record seq ${r.seq} appears after seq ${this.expected - 1} (the records were reordered or duplicated)`);
    }
    if (body.prev !== this.prev)
      return this.fail(
        'prev_mismatch',
        r.seq,
        `record seq ${r.seq}: prev does not match the hash of record seq ${r.seq - 1} (a record before it was replaced)`,
      );
    if (this.checkpoint && r.seq === this.checkpoint.seq) {
      this.checkpointHit = r.hash === this.checkpoint.hash ? 'matched' : 'mismatch';
      if (this.checkpointHit === 'mismatch')
        return this.fail('checkpoint_mismatch', r.seq, `record seq ${r.seq} differs from the signed checkpoint (history was rewritten)`);
    }
    this.prev = r.hash;
    this.expected++;
    return true;
  }

  report(): VerifyReport {
    const records = this.expected - 1;
    const head = records > 0 ? { seq: records, hash: this.prev } : null;
    const base: VerifyReport = { ok: false, records, head };
    const cp = this.checkpoint;
    const cpStatus = cp ? { seq: cp.seq, hash: cp.hash, status: this.checkpointHit ?? ('beyond_head' as const) } : undefined;
    if (this.problem) return { ...base, problem: this.problem, ...(cpStatus ? { checkpoint: cpStatus } : {}) };
    if (cp && !this.checkpointHit) {
      return {
        ...base,
        checkpoint: { seq: cp.seq, hash: cp.hash, status: 'beyond_head' },
        problem: {
          code: 'truncated',
          seq: records + 1,
          position: this.position + 1,
          message: `the ledger ends at seq ${records} but the checkpoint signed seq ${cp.seq}: records ${records + 1}..${cp.seq} were removed`,
        },
      };
    }
    return { ...base, ok: true, ...(cpStatus ? { checkpoint: cpStatus } : {}) };
  }
}

/** Verifies records read in batches (a store's pages). */
export async function verifyRecords(
  batches: AsyncIterable<StoredRecord[]> | Iterable<StoredRecord[]>,
  checkpoint?: Pick<Checkpoint, 'seq' | 'hash'>,
): Promise<VerifyReport> {
  const checker = new ChainChecker(checkpoint);
  outer: for await (const batch of batches) {
    for (const r of batch) if (!checker.push(r)) break outer;
  }
  return checker.report();
}

/**
 * Verifies an export (one record per line, canonical JSON with its hash). A line must be exactly the
 * canonical serialisation of what it holds, so an edit that parses to the same value (an escape
 * spelled differently) is still an edit.
 */
export function verifyJsonl(text: string, checkpoint?: Pick<Checkpoint, 'seq' | 'hash'>): VerifyReport {
  const checker = new ChainChecker(checkpoint);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line);
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new Error('not an object');
    } catch {
      checker.problem = { code: 'malformed', seq: null, position: i + 1, message: `line ${i + 1} is not a JSON record` };
      break;
    }
    const seq = typeof rec.seq === 'number' ? rec.seq : null;
    if (canonicalJson(rec) !== line) {
      checker.problem = { code: 'not_canonical', seq, position: i + 1, message: `line ${i + 1} (seq ${seq}) is not in canonical form (the record was edited)` };
      break;
    }
    const { hash, ...rest } = rec;
    if (seq === null || typeof hash !== 'string') {
      checker.problem = { code: 'malformed', seq, position: i + 1, message: `line ${i + 1} lacks seq or hash` };
      break;
    }
    if (!checker.push({ seq, body: canonicalJson(rest), hash })) break;
  }
  return checker.report();
}
