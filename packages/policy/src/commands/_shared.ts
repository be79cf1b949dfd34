/** Flags shared by the policy commands. Files starting with `_` are not commands. */
import { Flags } from '@oclif/core';
import { ASK_MODES, HOSTS, SECURITY_MODES } from '../config/values.js';

export const policyFlags = {
  config: Flags.string({ description: 'Config file (default: discovered; see docs/configuration.md).', helpValue: 'FILE' }),
  approvals: Flags.string({ description: 'Approvals file (default: $OPENCLAW_HOME/exec-approvals.json).', helpValue: 'FILE' }),
  agent: Flags.string({ description: 'Agent id whose overrides and allowlist apply.', helpValue: 'ID' }),
};

export const toolParamFlags = {
  host: Flags.option({ options: HOSTS, description: 'Tool parameter: where the command runs.' })(),
  security: Flags.option({ options: SECURITY_MODES, description: 'Tool parameter: security mode (can only be made stricter by the approvals file).' })(),
  ask: Flags.option({ options: ASK_MODES, description: 'Tool parameter: ask mode.' })(),
};
