import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '../cli/command.js';
import { generateJsonSchemas } from '../config/json-schema.js';

export default class Schema extends OpenclawCommand {
  static override summary = 'Write the JSON Schemas of the config, allowlist and approvals files';
  static override examples = ['<%= config.bin %> schema', '<%= config.bin %> schema --out /tmp/schemas --json'];
  static override flags = {
    out: Flags.string({ description: 'Directory to write to.', default: 'configs/schemas', helpValue: 'DIR' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Schema);
    const out = resolve(flags.out);
    mkdirSync(out, { recursive: true });
    const files: string[] = [];
    for (const [name, text] of Object.entries(generateJsonSchemas())) {
      const p = join(out, name);
      writeFileSync(p, text);
      files.push(p);
    }
    this.output({ out, files }, () => files.map((f) => `wrote ${f}`).join('\n'));
  }
}
