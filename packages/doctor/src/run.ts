/**
 * Running the doctor: every selected check at once (they are independent, and the slow ones are
 * probes with their own bounds), each under a timeout, in report order. A check that throws or runs
 * out of time is `unknown` with the reason — never `pass`. `runDoctor` is the API the CLI command
 * and the exec plane's `doctor_task` share.
 */
import { hostname } from 'node:os';
import { ExitCode, OpenclawError, usageError } from '@openclaw/policy';
import type { CheckDefinition, CheckOutcome, CheckResult, SafeFix } from './check.js';
import { createContext, type DoctorContext } from './context.js';
import { type AppliedFix, applySafeFix } from './permissions.js';
import { CaptureParseError, parseListeners } from './ports/parse.js';
import { listChecks } from './registry.js';

export interface DoctorOptions {
  /** Check ids or areas (`sshd` selects `sshd.config`); default all. */
  only?: readonly string[];
  /** Apply the safe permission fixes the checks propose, then check again. */
  fix?: boolean;
  /** A saved listener capture for the port audit instead of running ss. */
  ssOutput?: { text: string; source: string };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  configFile?: string;
  /** Extra checks for this run (same id replaces). */
  checks?: readonly CheckDefinition[];
  /** Bound for each check (default 1500 ms; each probe inside has its own, shorter bound). */
  checkTimeoutMs?: number;
}

export interface DoctorReport {
  ok: boolean;
  exit_code: number;
  summary: { passed: number; total: number; failed: number; warnings: number; unknown: number; skipped: number; text: string };
  /** From the port audit: sshd (or ssh.socket) listens on a public address; null when not audited. */
  sshd_public: boolean | null;
  checks: CheckResult[];
  /** What `--fix` changed or refused; null without --fix. */
  fixes: AppliedFix[] | null;
  host: { name: string; uid: number | null; root: boolean };
  duration_ms: number;
}

const DEFAULT_CHECK_TIMEOUT_MS = 1500;

/** Resolves `--only` items to checks; an unknown item is a usage error listing the ids. */
export function selectChecks(all: readonly CheckDefinition[], only: readonly string[] | undefined): CheckDefinition[] {
  if (!only?.length) return [...all];
  const wanted = new Set<string>();
  for (const item of only.map((s) => s.trim()).filter(Boolean)) {
    const hits = all.filter((c) => c.id === item || c.id.startsWith(`${item}.`));
    if (!hits.length) throw usageError(`unknown check ${JSON.stringify(item)}`, `checks: ${all.map((c) => c.id).join(', ')}`);
    for (const h of hits) wanted.add(h.id);
  }
  return all.filter((c) => wanted.has(c.id));
}

async function runCheck(def: CheckDefinition, ctx: DoctorContext, timeoutMs: number): Promise<{ result: CheckResult; fixes: SafeFix[] }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([
      def.run(ctx),
      new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'unknown', detail: `did not finish within ${def.timeoutMs ?? timeoutMs} ms` }), def.timeoutMs ?? timeoutMs);
      }),
    ]);
  } catch (e) {
    outcome = { status: 'unknown', detail: `the check failed to run: ${e instanceof OpenclawError ? e.reason : ((e as Error)?.message ?? String(e))}` };
  } finally {
    clearTimeout(timer);
  }
  return {
    result: {
      id: def.id,
      title: def.title,
      status: outcome.status,
      severity: outcome.severity ?? def.severity,
      detail: outcome.detail,
      remediation: outcome.remediation ?? null,
      evidence: outcome.evidence ?? {},
      duration_ms: Math.round(performance.now() - started),
    },
    fixes: outcome.fixes ?? [],
  };
}

export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const started = performance.now();
  const checks = selectChecks(listChecks(opts.checks), opts.only);
  let capture: { source: string; capture: ReturnType<typeof parseListeners> } | undefined;
  if (opts.ssOutput) {
    try {
      capture = { source: opts.ssOutput.source, capture: parseListeners(opts.ssOutput.text) };
    } catch (e) {
      if (!(e instanceof CaptureParseError)) throw e;
      throw new OpenclawError({
        code: 'capture_unreadable',
        reason: `${opts.ssOutput.source}: ${e.message}`,
        hint: 'give the output of `ss -tlnp` (as root, so processes show), `netstat -tlnp` or `lsof -nP -iTCP -sTCP:LISTEN`',
        exitCode: ExitCode.failure,
      });
    }
  }
  const ctxOpts = {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.configFile ? { configFile: opts.configFile } : {}),
  };
  const ctx = createContext({ ...ctxOpts, ...(capture ? { capture } : {}) });
  const timeout = opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const runs = await Promise.all(checks.map((c) => runCheck(c, ctx, timeout)));
  let fixes: AppliedFix[] | null = null;
  if (opts.fix) {
    fixes = [];
    const rerun = new Set<number>();
    runs.forEach((r, i) => {
      for (const f of r.fixes) {
        const applied = applySafeFix(f, ctx.uid);
        (fixes as AppliedFix[]).push(applied);
        if (applied.applied) rerun.add(i);
      }
    });
    if (rerun.size) {
      // Fresh context: the config and approvals file are read again after the change.
      const fresh = createContext({ ...ctxOpts, ...(capture ? { capture } : {}) });
      await Promise.all([...rerun].map(async (i) => (runs[i] = await runCheck(checks[i] as CheckDefinition, fresh, timeout))));
    }
  }
  const results = runs.map((r) => r.result);
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  const failed = count('fail');
  const skipped = count('skip');
  const passed = count('pass');
  const total = results.length - skipped;
  const ports = results.find((r) => r.id === 'ports.public');
  const sshdPublic = ports?.evidence.sshd_public;
  return {
    ok: failed === 0,
    exit_code: failed ? ExitCode.checkFailed : ExitCode.ok,
    summary: { passed, total, failed, warnings: count('warn'), unknown: count('unknown'), skipped, text: `${passed}/${total} passed` },
    sshd_public: typeof sshdPublic === 'boolean' ? sshdPublic : null,
    checks: results,
    fixes,
    host: { name: hostname(), uid: ctx.uid ?? null, root: ctx.isRoot },
    duration_ms: Math.round(performance.now() - started),
  };
}
