import { DEFAULT_POLICY_PATH, detectSandbox } from '@openclaw/policy';
import type { CheckDefinition } from '../check.js';

export const sandboxAvailable: CheckDefinition = {
  id: 'sandbox.available',
  title: 'the sandbox backend works here',
  severity: 'high',
  async run(ctx) {
    const c = await ctx.config();
    const config = c.ok ? c.loaded.config : {};
    const backend = config.sandbox?.backend ?? 'bwrap';
    const host = config.tools?.exec?.host ?? 'sandbox';
    const s = detectSandbox(backend, config.tools?.exec?.path ?? DEFAULT_POLICY_PATH, ctx.env);
    const evidence = { backend, available: s.available, reason: s.reason, binary: s.binary ?? null, default_host: host };
    if (s.available) return { status: 'pass', detail: `${backend}: ${s.reason}`, evidence };
    return {
      // With host sandbox (the default) every command is denied until the sandbox works.
      status: host === 'sandbox' ? 'fail' : 'warn',
      detail: `${backend}: ${s.reason}${host === 'sandbox' ? ' — every sandboxed command is denied' : ''}`,
      remediation: s.hint ?? null,
      evidence,
    };
  },
};
