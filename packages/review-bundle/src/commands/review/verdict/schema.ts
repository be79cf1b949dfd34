import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { verdictJsonSchema } from '../../../review/verdict.js';

export default class ReviewVerdictSchema extends OpenclawCommand {
  static override summary = 'Print (or write) the JSON Schema of review verdicts';
  static override examples = ['<%= config.bin %> review verdict schema', '<%= config.bin %> review verdict schema --out configs/schemas'];
  static override flags = { out: Flags.string({ description: 'Write review-verdict.schema.json into DIR instead of printing it.', helpValue: 'DIR' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ReviewVerdictSchema);
    const text = verdictJsonSchema();
    if (flags.out) {
      const file = join(flags.out, 'review-verdict.schema.json');
      writeFileSync(file, text);
      this.output({ file }, () => `wrote ${file}`);
    } else this.output(JSON.parse(text), () => text);
  }
}
