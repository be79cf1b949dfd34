import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { clientFor, endpointFlags, tokenIdArg } from './_shared.js';

export default class ApprovalsApprove extends OpenclawCommand {
  static override summary = 'Approve a pending request once (or --always: also allowlist its executables for that agent)';
  static override description =
    'The approval is a token of single use bound to the request (command, working directory, host, agent, session, sandbox) that expires soon after. --always also adds the canonical path of each executable that missed the allowlist to the agent’s allowlist — except shells and interpreters, which are allowed once only.';
  static override examples = ['<%= config.bin %> approvals approve Xy12abCDef', '<%= config.bin %> approvals approve Xy12abCDef --always'];
  static override args = { id: Args.string({ required: true, description: 'Token id (or a unique prefix of at least 6 characters).' }) };
  static override flags = {
    ...endpointFlags,
    always: Flags.boolean({ description: 'Also allowlist the canonical paths for the requesting agent.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ApprovalsApprove);
    const id = tokenIdArg(args.id);
    const { client } = await clientFor(flags);
    const r = await client.approve(id, { always: flags.always });
    for (const w of r.warnings ?? []) this.note(`warning: ${w}`);
    this.output(r, () => {
      const t = r.token;
      const head = `approved ${t.id} (${flags.always ? 'always' : 'once'}): ${t.request.command}`;
      return r.allowlisted?.length ? `${head}\nallowlisted for agent ${t.binding.agentId ?? '*'}: ${r.allowlisted.join(', ')}` : head;
    });
  }
}
