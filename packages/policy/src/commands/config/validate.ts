import { resolve } from 'node:path';
import { Args } from '@oclif/core';
import { OpenclawCommand } from '../../cli/command.js';
import { formatIssue } from '../../config/errors.js';
import { discoverConfig, readConfigFile } from '../../config/load.js';
import { ExitCode } from '../../errors.js';

export default class ConfigValidate extends OpenclawCommand {
  static override summary = 'Validate a config file: exit 0 when valid, 3 with every problem located';
  static override examples = ['<%= config.bin %> config validate', '<%= config.bin %> config validate ./openclaw.yaml --json'];
  static override args = { file: Args.string({ description: 'Config file (default: the discovered one).' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigValidate);
    const file = args.file ? resolve(args.file) : discoverConfig()?.file;
    if (!file) {
      this.output({ file: null, valid: true, issues: [] }, () => 'no config file found: the defaults apply (valid)');
      return;
    }
    const parsed = await readConfigFile(file);
    const issues = parsed.ok ? [] : parsed.issues;
    this.output(
      { file, valid: parsed.ok, issues },
      () =>
        parsed.ok
          ? `${file}: valid`
          : `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
      parsed.ok ? ExitCode.ok : ExitCode.checkFailed,
    );
  }
}
