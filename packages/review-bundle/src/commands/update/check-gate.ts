import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { ExitCode } from '@openclaw/policy/errors';
import { checkUpdateGate } from '../../review/update-gate.js';

export default class UpdateCheckGate extends OpenclawCommand {
  static override summary = 'Before updating to REF: pass only if REF is the reviewed commit (exit 3 otherwise)';
  static override description =
    'Reads the reviewed SHA from docs/LAST_REVIEWED_SHA.txt at REF. Passes when REF is the `review finish` commit on top of that reviewed commit (changing only that file; a commit cannot name itself), or is the reviewed commit. A missing or malformed file, or any other change after the reviewed commit, fails closed.';
  static override examples = [
    'git fetch origin && <%= config.bin %> update check-gate --ref origin/main && git merge --ff-only origin/main',
    '<%= config.bin %> update check-gate --repo /srv/app --ref origin/main --json',
  ];
  static override flags = {
    repo: Flags.string({ description: 'Repository (any directory inside it).', default: '.', helpValue: 'DIR' }),
    ref: Flags.string({ description: 'The commit the update would move to.', default: 'HEAD', helpValue: 'REF' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(UpdateCheckGate);
    const r = checkUpdateGate({ repo: flags.repo, ref: flags.ref });
    this.output(r, () => `${r.ok ? this.colors.green('pass') : this.colors.red('FAIL')}  ${r.reason}`, r.ok ? ExitCode.ok : ExitCode.checkFailed);
  }
}
