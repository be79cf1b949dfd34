import { Args, Flags } from '@oclif/core';
import { OpenclawError, openclawHome } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { getSecret } from '../../secrets/store.js';

export default class SecretsGet extends OpenclawCommand {
  static override summary = 'Say where a secret comes from (env, file, keychain); print its value only with --reveal';
  static override description =
    'Looks NAME up in order: OPENCLAW_SECRET_<NAME> (and OPENAI_API_KEY for openai), $OPENCLAW_HOME/secrets/NAME (refused unless 0600 and yours), the system keychain (secret-tool) where present, then a prompt without echo when stdin is a terminal. Exit 1 when it is nowhere.';
  static override examples = [
    '<%= config.bin %> secrets get openai',
    '<%= config.bin %> secrets get openai --reveal',
    '<%= config.bin %> secrets get openai --json',
  ];
  static override args = { name: Args.string({ description: 'Secret name (e.g. openai).', required: true }) };
  static override flags = {
    reveal: Flags.boolean({ description: 'Print the value (the only way openclaw prints a secret).' }),
    prompt: Flags.boolean({ description: 'Ask on the terminal (no echo) when it is not found.', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsGet);
    const found = await getSecret(args.name, { home: openclawHome(), prompt: flags.prompt && !this.wantsJson });
    if (found.value === null)
      throw new OpenclawError({
        code: 'secret_not_found',
        reason: `secret ${args.name} is ${found.detail}`,
        hint: `openclaw secrets set ${args.name}`,
        exitCode: 1,
      });
    const report = { name: found.name, found: true, source: found.source, detail: found.detail, ...(flags.reveal ? { value: found.value } : {}) };
    this.output(report, () =>
      flags.reveal ? (found.value as string) : `${found.name}: set (from ${found.source}: ${found.detail}); the value is hidden — --reveal prints it`,
    );
  }
}
