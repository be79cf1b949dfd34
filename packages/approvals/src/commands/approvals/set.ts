import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawError, usageError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { locateApprovals } from '../../file/locate.js';
import { replaceApprovalsFile } from '../../file/write.js';
import { fileFlags } from './_shared.js';

export default class ApprovalsSet extends OpenclawCommand {
  static override summary = 'Replace the approvals file with a validated one (--file F or --stdin)';
  static override description =
    'The new content is validated exactly as the policy reads it (version 1, modes, allowlist patterns) before anything is written; then it is written atomically (0600). Allowlist entries without an id get one. A socket token missing from the new content is kept from the current file. This is also how a corrupt file is replaced: openclaw never overwrites it on its own.';
  static override examples = [
    '<%= config.bin %> approvals set --file ~/exec-approvals.json',
    '<%= config.bin %> approvals get --json | jq \'.defaults.ask = "always"\' | <%= config.bin %> approvals set --stdin',
  ];
  static override flags = {
    ...fileFlags,
    file: Flags.string({ char: 'f', description: 'Read the new approvals file from FILE.', helpValue: 'FILE', exclusive: ['stdin'] }),
    stdin: Flags.boolean({ description: 'Read the new approvals file from standard input.', exclusive: ['file'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ApprovalsSet);
    if (!flags.file && !flags.stdin) throw usageError('give the new content with --file FILE or --stdin', 'openclaw approvals set --file exec-approvals.json');
    let text: string;
    try {
      text = flags.file ? readFileSync(resolve(flags.file), 'utf8') : readFileSync(0, 'utf8');
    } catch (e) {
      throw new OpenclawError({ code: 'input_unreadable', reason: `cannot read ${flags.file ?? 'standard input'}: ${(e as Error).message}` });
    }
    const { approvalsPath } = await locateApprovals({ configFile: flags.config, approvalsFile: flags.approvals });
    const r = await replaceApprovalsFile(approvalsPath, text);
    const agents = Object.values(r.file.agents ?? {});
    const entries = agents.reduce((n, a) => n + (a.allowlist?.length ?? 0), 0);
    this.output(
      { path: approvalsPath, written: true, agents: agents.length, allowlistEntries: entries, idsAdded: r.idsAdded, socketTokenKept: r.keptToken },
      () =>
        `wrote ${approvalsPath}: ${agents.length} agent${agents.length === 1 ? '' : 's'}, ${entries} allowlist entr${entries === 1 ? 'y' : 'ies'}` +
        `${r.idsAdded ? `, ${r.idsAdded} id${r.idsAdded === 1 ? '' : 's'} added` : ''}${r.keptToken ? '; socket token kept' : ''}`,
    );
  }
}
