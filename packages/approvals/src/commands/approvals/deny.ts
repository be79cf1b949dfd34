import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { clientFor, endpointFlags, tokenIdArg } from './_shared.js';

export default class ApprovalsDeny extends OpenclawCommand {
  static override summary = 'Deny a pending request (the requester gets exit 77 with your reason)';
  static override examples = ['<%= config.bin %> approvals deny Xy12abCDef', "<%= config.bin %> approvals deny Xy12abCDef --reason 'not on prod'"];
  static override args = { id: Args.string({ required: true, description: 'Token id (or a unique prefix of at least 6 characters).' }) };
  static override flags = { ...endpointFlags, reason: Flags.string({ description: 'Why (shown to the requester).', helpValue: 'TEXT' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ApprovalsDeny);
    const id = tokenIdArg(args.id);
    const { client } = await clientFor(flags);
    const r = await client.deny(id, flags.reason);
    this.output(r, () => `denied ${r.token.id}: ${r.token.request.command}`);
  }
}
