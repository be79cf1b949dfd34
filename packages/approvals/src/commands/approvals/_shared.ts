/** Flags shared by the approvals commands. Files starting with `_` are not commands. */
import { Flags } from '@oclif/core';
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
