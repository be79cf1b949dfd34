import { Args, loadHelpClass } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';

export default class HelpCommand extends OpenclawCommand {
  static override summary = 'Show help for openclaw or one of its commands';
  static override examples = ['<%= config.bin %> help policy check'];
  static override strict = false;
  static override args = { command: Args.string({ description: 'Command to show help for, words separated by spaces.' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const Help = await loadHelpClass(this.config);
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(argv as string[]);
  }
}
