/** Flags shared by the approvals commands. Files starting with `_` are not commands. */
import { Flags } from '@oclif/core';
import { usageError } from '@openclaw/policy';
import { connectApprovals } from '../../client/connect.js';

export const fileFlags = {
  config: Flags.string({ description: 'Config file (default: discovered; see docs/configuration.md).', helpValue: 'FILE' }),
  approvals: Flags.string({ description: 'Approvals file (default: $OPENCLAW_HOME/exec-approvals.json).', helpValue: 'FILE' }),
};

export const endpointFlags = {
  ...fileFlags,
  socket: Flags.string({
    description: 'Endpoint socket (default: approvals.socket in the config, socket.path in the approvals file, else $OPENCLAW_HOME/exec-approvals.sock).',
    helpValue: 'PATH',
  }),
};

export function clientFor(flags: { config?: string | undefined; approvals?: string | undefined; socket?: string | undefined }, ioTimeoutMs?: number) {
  return connectApprovals({
    configFile: flags.config,
    approvalsFile: flags.approvals,
    socket: flags.socket,
    ...(ioTimeoutMs ? { ioTimeoutMs } : {}),
  });
}

/**
 * The ID argument of approve/deny/revoke: a token id (22 base64url characters) or a prefix of one.
 * Checked before connecting, so a typo is a usage error here, not a schema message from the endpoint.
 */
export function tokenIdArg(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id))
    throw usageError(
      `not a token id: ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id)} (ids are 22 characters of A-Z a-z 0-9 _ -)`,
      'list what is waiting with `openclaw approvals pending` (--all for answered ones)',
    );
  return id;
}
