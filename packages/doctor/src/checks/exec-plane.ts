/**
 * Placeholders for the checks the exec plane (@openclaw/exec) owns. Until a build wires the real
 * ones in (`registerCheck` with the same id), they say plainly that nothing was checked.
 */
import type { CheckDefinition } from '../check.js';

const notInstalled = (id: string, title: string): CheckDefinition => ({
  id,
  title,
  severity: 'high',
  async run() {
    return { status: 'unknown', detail: 'exec plane not installed in this build', remediation: null, evidence: { provider: '@openclaw/exec', wired: false } };
  },
});

export const ledgerIntegrity = notInstalled('ledger.integrity', 'the evidence ledger verifies (hash chain intact)');
export const storeReachable = notInstalled('store.reachable', 'the job store (SQLite or Postgres) is reachable');
