import { Args, Flags } from '@oclif/core';
import { OpenclawError, openclawHome, usageError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { checkSecretName, promptHidden, systemKeychain, writeSecretFile } from '../../secrets/store.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export default class SecretsSet extends OpenclawCommand {
  static override summary = 'Store a secret: read from stdin (or typed without echo), written 0600 under $OPENCLAW_HOME/secrets or to the keychain';
  static override description =
    'The value never comes from the command line (it would be in your shell history and in /proc/*/cmdline): pipe it in, or type it at the prompt, which does not echo. --store keychain uses secret-tool (libsecret) where it is installed.';
  static override examples = [
    '<%= config.bin %> secrets set openai',
    'printf %s "$KEY" | <%= config.bin %> secrets set openai',
    '<%= config.bin %> secrets set openai --store keychain',
  ];
  static override args = { name: Args.string({ description: 'Secret name (e.g. openai).', required: true }) };
  static override flags = {
    store: Flags.option({ options: ['file', 'keychain'] as const, default: 'file' as const, description: 'Where to keep it.' })(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretsSet);
    const name = checkSecretName(args.name);
    const value = process.stdin.isTTY ? await promptHidden(`value for ${name} (not echoed): `) : await readStdin();
    if (!value) throw usageError(`no value for ${name}`, `printf %s "$VALUE" | openclaw secrets set ${name}`);
    let where: string;
    if (flags.store === 'keychain') {
      const kc = systemKeychain();
      if (!kc)
        throw new OpenclawError({
          code: 'keychain_missing',
          reason: 'no system keychain here (secret-tool is not installed)',
          hint: 'use --store file, or install libsecret-tools',
          exitCode: 1,
        });
      kc.set(name, value);
      where = kc.name;
    } else where = writeSecretFile(openclawHome(), name, value);
    this.output({ name, stored: flags.store, where }, () => `${name}: stored in ${where}`);
  }
}
