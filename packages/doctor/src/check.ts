/**
 * The doctor's check framework (SPEC §7). A check is `{id, title, severity, run(ctx)}`; running it
 * yields `{id, title, status, severity, detail, remediation, evidence}`. Statuses are measured, never
 * assumed: what could not be checked is `unknown` (or `skip`, when it does not apply here), with why.
 */
import type { DoctorContext } from './context.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown' | 'skip';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** A permission fix `--fix` may apply: it only ever removes access bits, and never opens the file. */
export interface SafeFix {
  path: string;
  kind: 'file' | 'dir';
  /** The bits to keep: 0o700 for a private directory, 0o600 for a private file, 0o755 to drop group/other write. */
  keep: number;
  why: string;
}

export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
  remediation?: string | null;
  evidence?: Record<string, unknown>;
  /** Overrides the check's default severity for this outcome. */
  severity?: Severity;
  fixes?: SafeFix[];
}

export interface CheckDefinition {
  /** Stable id: `area.name` (`ports.public`), lower case. `--only` takes ids or areas. */
  id: string;
  title: string;
  severity: Severity;
  /** Upper bound for this check, on top of the bounds of each probe it starts. */
  timeoutMs?: number;
  run(ctx: DoctorContext): Promise<CheckOutcome>;
}

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  severity: Severity;
  detail: string;
  remediation: string | null;
  evidence: Record<string, unknown>;
  duration_ms: number;
}
