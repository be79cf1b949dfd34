/** The enumerations of the policy config, free of zod so the decision path can import them cheaply. */
export const HOSTS = ['sandbox', 'gateway', 'node'] as const;
export const SECURITY_MODES = ['deny', 'allowlist', 'full'] as const;
export const ASK_MODES = ['off', 'on-miss', 'always'] as const;
export type Host = (typeof HOSTS)[number];
export type Security = (typeof SECURITY_MODES)[number];
export type Ask = (typeof ASK_MODES)[number];

export const DEFAULTS = {
  host: 'sandbox' as Host,
  security: 'deny' as Security,
  ask: 'on-miss' as Ask,
  askFallback: 'deny' as Security,
  timeoutSec: 1800,
  maxOutputChars: 200_000,
};

/** Stricter-of rules: security and askFallback take the lower, ask the higher. */
export const SECURITY_RANK: Record<Security, number> = { deny: 0, allowlist: 1, full: 2 };
export const ASK_RANK: Record<Ask, number> = { off: 0, 'on-miss': 1, always: 2 };
