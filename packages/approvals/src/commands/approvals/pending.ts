import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { tokenLine } from '../../watch/render.js';
import { clientFor, endpointFlags } from './_shared.js';

export default class ApprovalsPending extends OpenclawCommand {
  static override summary = 'List the requests waiting for a human (--all: recent answered ones too)';
  static override examples = ['<%= config.bin %> approvals pending', '<%= config.bin %> approvals pending --all --json'];
  static override flags = {
    ...endpointFlags,
    all: Flags.boolean({ description: 'Also list approved, used, denied, revoked and expired tokens the endpoint still remembers.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ApprovalsPending);
    const { client } = await clientFor(flags);
    const answer = await client.pending({ all: flags.all });
    this.output({ tokens: answer.tokens }, () => {
      if (answer.tokens.length === 0) return flags.all ? 'no tokens' : 'nothing is waiting for approval';
      return answer.tokens.map((t) => tokenLine(t, this.colors)).join('\n');
    });
  }
}
