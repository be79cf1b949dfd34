import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { installHooks } from '../../review/hooks.js';

export default class HooksInstall extends OpenclawCommand {
  static override summary = 'Install the pre-push review gate (sets core.hooksPath); idempotent';
  static override description =
    "Writes <dir>/pre-push, which runs `openclaw review gate` (openclaw must be on PATH when you push), and sets core.hooksPath to <dir>. A hook or hooksPath that is not openclaw's is left alone unless --force.";
  static override examples = ['<%= config.bin %> hooks install', '<%= config.bin %> hooks install --repo ~/src/app --dir .githooks --json'];
  static override flags = {
    repo: Flags.string({ description: 'Repository (any directory inside it).', default: '.', helpValue: 'DIR' }),
    dir: Flags.string({ description: 'Hooks directory, relative to the work tree.', default: '.githooks', helpValue: 'DIR' }),
    force: Flags.boolean({ description: "Replace a pre-push hook or hooksPath that is not openclaw's." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(HooksInstall);
    const r = installHooks({ repo: flags.repo, dir: flags.dir, force: flags.force });
    this.output(r, () =>
      [`${r.changed ? 'installed' : 'already installed'}: ${r.pre_push} (core.hooksPath = ${r.hooks_path})`, ...r.notes.map((n) => `  note: ${n}`)].join('\n'),
    );
  }
}
