import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { ExitCode } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { loadOrCreateLedgerKey, readCheckpoint, readPublicKey } from '../../../ledger/checkpoint.js';
import { type VerifyReport, verifyJsonl, verifyRecords } from '../../../ledger/verify.js';
import { configFlag, execContext, withStore } from '../_shared.js';

export default class ExecLedgerVerify extends OpenclawCommand {
  static override summary = 'Verify the hash chain of the ledger; name the first bad record (exit 3)';
  static override description =
    'Checks every record: its hash, its seq, its link to the record before. With --checkpoint, also that the chain still reaches the signed head (a removed tail or a rewritten history is caught). --input verifies an export instead of the store.';
  static override examples = [
    '<%= config.bin %> exec ledger verify',
    '<%= config.bin %> exec ledger verify --checkpoint ~/.openclaw/checkpoints/ledger-1200.json',
    '<%= config.bin %> exec ledger verify --input ledger.jsonl --json',
  ];
  static override flags = {
    ...configFlag,
    checkpoint: Flags.string({ description: 'A checkpoint written by `exec ledger checkpoint`.', helpValue: 'FILE' }),
    'public-key': Flags.string({ description: 'Trust this public key for the checkpoint (default: the local ledger key).', helpValue: 'FILE' }),
    input: Flags.string({ description: 'Verify this JSONL export instead of the store.', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecLedgerVerify);
    const ctx = await execContext(flags);
    let checkpoint: { seq: number; hash: string } | undefined;
    if (flags.checkpoint) {
      const trusted = flags['public-key'] ? readPublicKey(flags['public-key']) : loadOrCreateLedgerKey(ctx.paths.ledgerKey, { create: false });
      checkpoint = readCheckpoint(readFileSync(flags.checkpoint, 'utf8'), flags.checkpoint, trusted);
    }
    const started = performance.now();
    const report: VerifyReport = flags.input
      ? verifyJsonl(readFileSync(flags.input, 'utf8'), checkpoint)
      : await withStore(ctx, (s) => verifyRecords(s.ledgerPages(), checkpoint));
    const ms = Math.round(performance.now() - started);
    const source = flags.input ?? (ctx.target.kind === 'sqlite' ? ctx.target.path : 'postgres');
    this.output(
      { ...report, source, duration_ms: ms },
      () => {
        const c = this.colors;
        if (report.ok)
          return `${c.green('ok')} ${report.records} records verified in ${ms} ms, head #${report.head?.seq ?? 0} ${report.head?.hash.slice(0, 16) ?? '(empty)'}${report.checkpoint ? `; checkpoint #${report.checkpoint.seq} ${report.checkpoint.status}` : ''}`;
        return `${c.red('BAD')} ${report.problem?.message}\n  first bad record: seq ${report.problem?.seq ?? 'unknown'} (position ${report.problem?.position}); ${report.records} records before it verified`;
      },
      report.ok ? ExitCode.ok : ExitCode.checkFailed,
    );
  }
}
