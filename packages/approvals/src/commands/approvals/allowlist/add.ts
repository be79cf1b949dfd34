import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { addAllowlistPattern, allowlistWarnings, SHARED_AGENT } from '../../../file/allowlist.js';
import { locateApprovals } from '../../../file/locate.js';
import { fileFlags } from '../_shared.js';

export default class AllowlistAdd extends OpenclawCommand {
  static override summary = 'Allow an executable (by canonical-path pattern) for an agent, or for every agent';
  static override description =
    'Patterns match the executable’s canonical path (symlinks resolved): `*` within a directory, `**` across, `?` one character, `~/` your home. Warns on stderr when the path is a symlink (the pattern would never match; the canonical path is suggested) or when it is, or covers, a shell or an interpreter (allowing those allows anything). Concurrent adds are serialised: none is lost.';
  static override examples = [
    '<%= config.bin %> approvals allowlist add /usr/bin/git',
    "<%= config.bin %> approvals allowlist add '~/Projects/**/bin/rg' --agent main",
  ];
  static override args = { pattern: Args.string({ required: true, description: 'Canonical path or pattern, e.g. /usr/bin/git.' }) };
  static override flags = {
    ...fileFlags,
    agent: Flags.string({ description: 'Agent id whose allowlist changes (default "*": every agent).', helpValue: 'ID', default: SHARED_AGENT }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AllowlistAdd);
    const { approvalsPath } = await locateApprovals({ configFile: flags.config, approvalsFile: flags.approvals });
    const r = await addAllowlistPattern(approvalsPath, args.pattern, flags.agent);
    const warnings = allowlistWarnings(args.pattern);
    for (const w of warnings)
      this.note(
        `warning: ${w.message}${w.suggestion ? `\n  use: openclaw approvals allowlist add ${w.suggestion}${flags.agent === SHARED_AGENT ? '' : ` --agent ${flags.agent}`}` : ''}`,
      );
    this.output({ path: approvalsPath, agent: r.agent, pattern: args.pattern, added: r.added ?? false, id: r.entry?.id ?? null, warnings }, () =>
      r.added ? `added ${args.pattern} to the allowlist of agent ${r.agent}` : `${args.pattern} is already in the allowlist of agent ${r.agent}`,
    );
  }
}
