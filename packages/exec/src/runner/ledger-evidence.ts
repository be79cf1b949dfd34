import { sha256Hex } from '../ledger/record.js';
import type { CommandEvidence } from './types.js';

/** Evidence kept in the ledger: the output is capped harder there, and hashed. */
const LEDGER_OUTPUT_CHARS = 4096;

export function ledgerEvidence(e: CommandEvidence): Record<string, unknown> {
  const clip = (s: string) =>
    s.length > LEDGER_OUTPUT_CHARS ? `${s.slice(0, LEDGER_OUTPUT_CHARS)}… (${s.length - LEDGER_OUTPUT_CHARS} more characters in the run's output)` : s;
  return { ...e, stdout: clip(e.stdout), stderr: clip(e.stderr), stdout_sha256: sha256Hex(e.stdout), stderr_sha256: sha256Hex(e.stderr) };
}
