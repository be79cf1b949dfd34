/**
 * The request fingerprint a token is bound to: SHA-256 over the canonical form of what would run —
 * each segment's executed argv with the canonical path of its executable and the operator joining
 * it, the canonical working directory, the host and the agent. `rm -rf /tmp/x` given as a string
 * or as argv has one fingerprint; the same words resolving to another binary, or run elsewhere, do
 * not. A command the policy cannot analyse (only possible with security full) is bound by its text.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Decision } from '@openclaw/policy';

export function canonicalCwd(cwd: string): string {
  try {
    return realpathSync(cwd);
  } catch {
    return resolve(cwd);
  }
}

export function requestFingerprint(input: {
  decision: Pick<Decision, 'segments' | 'host' | 'agent'>;
  command?: string | undefined;
  argv?: readonly string[] | undefined;
  cwd: string;
}): string {
  const { decision } = input;
  const what =
    decision.segments.length > 0
      ? { segments: decision.segments.map((s) => [s.op ?? '', s.realPath ?? s.resolvedPath ?? '', ...s.execArgv]) }
      : { text: input.command ?? null, argv: input.argv ?? null };
  const canonical = JSON.stringify({ v: 1, host: decision.host, agent: decision.agent, cwd: canonicalCwd(input.cwd), ...what });
  return createHash('sha256').update(canonical).digest('hex');
}
