import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { loadOrCreateLedgerKey, signCheckpoint } from '../../../ledger/checkpoint.js';
import { verifyRecords } from '../../../ledger/verify.js';
import { ensurePrivateDir } from '../../../state/paths.js';
import { configFlag, execContext, withStore } from '../_shared.js';

export default class ExecLedgerCheckpoint extends OpenclawCommand {
  static override summary = 'Sign the ledger head (Ed25519) so a later truncation or rewrite is detected';
  static override description =
    'Verifies the chain first (a bad chain is not signed), then signs {seq, hash} of the head with the key at $OPENCLAW_HOME/keys/ledger-ed25519.pem (created 0600 when missing). Keep a copy of the checkpoint elsewhere.';
  static override examples = [
    '<%= config.bin %> exec ledger checkpoint',
    '<%= config.bin %> exec ledger checkpoint --out /backup/ledger-checkpoint.json --json',
  ];
  static override flags = {
    ...configFlag,
    out: Flags.string({ char: 'o', description: 'Where to write it (default: $OPENCLAW_HOME/checkpoints/ledger-<seq>.json).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecLedgerCheckpoint);
    const ctx = await execContext(flags);
    const report = await withStore(ctx, (s) => verifyRecords(s.ledgerPages()));
    if (!report.ok)
      throw new OpenclawError({
        code: 'ledger_invalid',
        reason: `not signing a bad chain: ${report.problem?.message}`,
        hint: 'openclaw exec ledger verify',
        exitCode: 3,
      });
    if (!report.head) throw new OpenclawError({ code: 'ledger_empty', reason: 'the ledger is empty: nothing to sign' });
    const key = loadOrCreateLedgerKey(ctx.paths.ledgerKey);
    const cp = signCheckpoint(report.head, ctx.target.kind === 'sqlite' ? `sqlite:${ctx.target.path}` : 'postgres', key);
    const out = flags.out ?? join(ensurePrivateDir(ctx.paths.checkpointsDir), `ledger-${cp.seq}.json`);
    writeFileSync(out, `${JSON.stringify(cp, null, 2)}\n`, { mode: 0o600 });
    this.output({ checkpoint: cp, out }, () => `signed head #${cp.seq} ${cp.hash.slice(0, 16)} with key ${cp.key_id} → ${out}`);
  }
}
