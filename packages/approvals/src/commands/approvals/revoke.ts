import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { clientFor, endpointFlags, tokenIdArg } from './_shared.js';

export default class ApprovalsRevoke extends OpenclawCommand {
  static override summary = 'Revoke a pending or approved (not yet used) token';
  static override examples = ['<%= config.bin %> approvals revoke Xy12abCDef', "<%= config.bin %> approvals revoke Xy12abCDef --reason 'approved by mistake'"];
  static override args = { id: Args.string({ required: true, description: 'Token id (or a unique prefix of at least 6 characters).' }) };
  static override flags = { ...endpointFlags, reason: Flags.string({ description: 'Why (shown to the requester).', helpValue: 'TEXT' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ApprovalsRevoke);
    const id = tokenIdArg(args.id);
    const { client } = await clientFor(flags);
    const r = await client.revoke(id, flags.reason);
    this.output(r, () => `revoked ${r.token.id}: ${r.token.request.command}`);
  }
}
