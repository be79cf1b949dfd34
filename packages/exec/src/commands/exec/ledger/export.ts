import { closeSync, openSync, writeSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { recordLine } from '../../../ledger/record.js';
import { configFlag, execContext, withStore } from '../_shared.js';

export default class ExecLedgerExport extends OpenclawCommand {
  static override summary = 'Write the ledger as JSONL: one record per line, canonical JSON with its hash';
  static override description = 'An export verifies on its own: `openclaw exec ledger verify --input FILE`.';
  static override examples = ['<%= config.bin %> exec ledger export > ledger.jsonl', '<%= config.bin %> exec ledger export --out ledger.jsonl --after 1000'];
  static override flags = {
    ...configFlag,
    out: Flags.string({ char: 'o', description: 'Write to this file (0600) instead of stdout.', helpValue: 'FILE' }),
    after: Flags.integer({ description: 'Only records after this seq.', min: 0, default: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecLedgerExport);
    const ctx = await execContext(flags);
    const fd = flags.out ? openSync(flags.out, 'w', 0o600) : 1;
    let n = 0;
    try {
      await withStore(ctx, async (s) => {
        for (let after = flags.after; ; ) {
          const page = await s.readLedger(after, 5000);
          if (page.length === 0) break;
          writeSync(fd, `${page.map(recordLine).join('\n')}\n`);
          n += page.length;
          after = page[page.length - 1]?.seq as number;
        }
      });
    } finally {
      if (flags.out) closeSync(fd);
    }
    if (flags.out) this.output({ records: n, out: flags.out }, () => `exported ${n} records to ${flags.out}`);
    else this.note(`exported ${n} records`);
  }
}
