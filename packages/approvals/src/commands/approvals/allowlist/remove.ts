import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { removeAllowlistPattern, SHARED_AGENT } from '../../../file/allowlist.js';
import { locateApprovals } from '../../../file/locate.js';
import { fileFlags } from '../_shared.js';

export default class AllowlistRemove extends OpenclawCommand {
  static override summary = 'Remove an allowlist entry (by pattern or id) from an agent';
  static override description =
    'Also repairs a file that is invalid only because of that entry (for example a pattern without "/"): the result is validated before it is written.';
  static override examples = [
    '<%= config.bin %> approvals allowlist remove /usr/bin/git',
    '<%= config.bin %> approvals allowlist remove 1f6565d4-9cad-462b-a318-dce4787c106f --agent main',
  ];
  static override args = { pattern: Args.string({ required: true, description: 'The pattern as written, or the entry id.' }) };
  static override flags = {
    ...fileFlags,
    agent: Flags.string({ description: 'Agent id whose allowlist changes (default "*").', helpValue: 'ID', default: SHARED_AGENT }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AllowlistRemove);
    const { approvalsPath } = await locateApprovals({ configFile: flags.config, approvalsFile: flags.approvals });
    const r = await removeAllowlistPattern(approvalsPath, args.pattern, flags.agent);
    const removed = r.removed ?? [];
    this.output(
      { path: approvalsPath, agent: r.agent, removed },
      () => `removed ${removed.map((e) => e.pattern).join(', ')} from the allowlist of agent ${r.agent}`,
    );
  }
}
