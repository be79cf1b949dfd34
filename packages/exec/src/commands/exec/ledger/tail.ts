import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import type { LedgerRecord, StoredRecord } from '../../../ledger/record.js';
import { configFlag, execContext, withStore } from '../_shared.js';

export default class ExecLedgerTail extends OpenclawCommand {
  static override summary = 'Show the last ledger records; -f follows new ones';
  static override description = 'With --json, one JSON record per line (JSONL), also when following.';
  static override examples = [
    '<%= config.bin %> exec ledger tail',
    '<%= config.bin %> exec ledger tail -n 50 -f',
    '<%= config.bin %> exec ledger tail --json -f',
  ];
  static override flags = {
    ...configFlag,
    lines: Flags.integer({ char: 'n', description: 'How many records (default 20).', min: 0, default: 20 }),
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new records until interrupted.' }),
    interval: Flags.integer({ description: 'Milliseconds between looks when following (default 500).', min: 50, default: 500 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecLedgerTail);
    const ctx = await execContext(flags);
    const print = (r: StoredRecord) => {
      const rec = JSON.parse(r.body) as LedgerRecord;
      if (this.wantsJson) process.stdout.write(`${JSON.stringify({ ...rec, hash: r.hash })}\n`);
      else
        process.stdout.write(
          `#${rec.seq} ${rec.ts} ${rec.type.padEnd(14)} ${rec.worker_id}@${rec.host}${rec.job_id ? ` ${rec.job_id}` : ''} ${JSON.stringify(rec.data).slice(0, 160)}\n`,
        );
    };
    await withStore(ctx, async (s) => {
      const head = await s.ledgerHead();
      let after = Math.max(0, (head?.seq ?? 0) - flags.lines);
      for (const r of await s.readLedger(after, flags.lines)) print(r);
      after = head?.seq ?? 0;
      if (!flags.follow) return;
      let stop = false;
      const onSig = () => {
        stop = true;
      };
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
      while (!stop) {
        const page = await s.readLedger(after, 1000);
        for (const r of page) print(r);
        if (page.length) after = page[page.length - 1]?.seq as number;
        else await new Promise((r) => setTimeout(r, flags.interval));
      }
    });
  }
}
