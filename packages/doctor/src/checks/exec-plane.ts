/**
 * The exec plane's two checks: is the configured store reachable, and does its ledger verify. Both
 * only read (see exec-store/reader.ts): a fresh machine keeps having no store, and nothing is ever
 * written to one. Each is bounded at STORE_BOUND_MS — a Postgres that does not answer costs that
 * much, and a ledger too long to verify in that time is reported as partly verified (`unknown`),
 * pointing at `openclaw exec ledger verify`, which has no bound.
 *
 * The store code (and with it the exec plane's modules) loads only when there is a store or a
 * checkpoint to look at, and pg only for a Postgres store: a fresh machine, fix-ssh (which imports
 * the doctor's port audit) and the rest of the doctor do not pay for it.
 */
import { accessSync, existsSync, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CheckDefinition, CheckOutcome } from '../check.js';
import type { DoctorContext } from '../context.js';

/** How long each check may spend on the store, connecting included. */
export const STORE_BOUND_MS = 1000;

/**
 * The fresh machine, recognised without loading the exec plane: the default embedded store
 * (`exec.store` unset or `sqlite`) at `$OPENCLAW_HOME/state/exec.db` does not exist and there is no
 * `$OPENCLAW_HOME/checkpoints/`. exec-plane.test.ts pins both paths to the exec plane's `execPaths`.
 * Anything else goes through the exec plane's own `storeTarget`.
 */
export async function freshDefaultStore(ctx: DoctorContext): Promise<{ dbPath: string; configFile: string | null } | null> {
  const config = await ctx.config();
  if (!config.ok) return null;
  const store = config.loaded.config.exec?.store;
  if (store !== undefined && store !== 'sqlite') return null;
  const dbPath = join(ctx.home, 'state', 'exec.db');
  if (existsSync(dbPath) || existsSync(join(ctx.home, 'checkpoints'))) return null;
  return { dbPath, configFile: config.loaded.file ?? null };
}

/** `store.reachable` with another bound (tests use a short one). */
export const storeReachableCheck = (boundMs = STORE_BOUND_MS): CheckDefinition => ({
  id: 'store.reachable',
  title: 'the job store (SQLite or Postgres) is reachable',
  severity: 'high',
  timeoutMs: boundMs + 500,
  async run(ctx) {
    const deadline = performance.now() + boundMs;
    const fresh = await freshDefaultStore(ctx);
    if (fresh) {
      const base = { kind: 'sqlite', location: fresh.dbPath, config_file: fresh.configFile };
      const problem = sqliteAccessProblem(fresh.dbPath);
      if (problem) return { status: 'fail', detail: problem.detail, remediation: problem.fix, evidence: { ...base, state: problem.state } };
      return noStoreYet(base);
    }
    const { locateStore } = await import('../exec-store/locate.js');
    const loc = await locateStore(ctx);
    if (!loc.ok) return { status: loc.kind === 'invalid' ? 'fail' : 'unknown', detail: loc.reason, remediation: loc.hint, evidence: {} };
    const base = { kind: loc.target.kind, location: loc.location, config_file: loc.configFile };
    if (loc.target.kind === 'sqlite') {
      const problem = sqliteAccessProblem(loc.target.path);
      if (problem) return { status: 'fail', detail: problem.detail, remediation: problem.fix, evidence: { ...base, state: problem.state } };
    }
    const { openLedgerReader } = await import('../exec-store/reader.js');
    const opened = await openLedgerReader(loc.target, { deadline, ms: boundMs });
    if (opened.state === 'absent') return noStoreYet(base);
    if (opened.state === 'unreachable')
      return {
        status: opened.timedOut ? 'unknown' : 'fail',
        detail: opened.reason,
        remediation: opened.hint,
        evidence: { ...base, state: opened.timedOut ? 'timeout' : 'unreachable', ms: opened.ms, bound_ms: boundMs },
      };
    const { reader } = opened;
    try {
      const how = `${reader.kind} ${reader.location}: ${reader.kind === 'sqlite' ? 'opened read-only' : 'answered'} in ${opened.ms} ms`;
      if (!reader.initialised)
        return { status: 'pass', detail: `${how}; no exec tables yet (created on first use)`, evidence: { ...base, state: 'uninitialised', ms: opened.ms } };
      const head = await reader.head();
      return {
        status: 'pass',
        detail: `${how}; ${head === null ? 'the ledger is empty' : `ledger head #${head}`}`,
        evidence: { ...base, state: 'ready', ms: opened.ms, head_seq: head },
      };
    } finally {
      await reader.close();
    }
  },
});

export const storeReachable = storeReachableCheck();

const noStoreYet = (base: { location: string }): CheckOutcome => ({
  status: 'pass',
  detail: `no store yet: created on first use (${base.location})`,
  evidence: { ...base, state: 'absent', creatable: true },
});

const NO_LEDGER_YET = 'no ledger yet: nothing recorded (the store is created on first use)';

/** Can the exec plane create (or write) the embedded store? It needs the file and its directory writable. */
function sqliteAccessProblem(path: string): { state: string; detail: string; fix: string } | undefined {
  const writable = (p: string) => {
    try {
      accessSync(p, fsc.W_OK | fsc.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  let exists = true;
  try {
    accessSync(path, fsc.F_OK);
  } catch {
    exists = false;
  }
  if (exists) {
    try {
      accessSync(path, fsc.R_OK | fsc.W_OK);
    } catch (e) {
      return {
        state: 'not_writable',
        detail: `${path} cannot be read and written by this user (${(e as NodeJS.ErrnoException).code}): the exec plane cannot use it`,
        fix: `run openclaw as the owner of ${path}, or fix its permissions (chmod 600, owned by you)`,
      };
    }
    if (!writable(dirname(path)))
      return {
        state: 'not_writable',
        detail: `${dirname(path)} is not writable by this user: SQLite cannot keep its journal beside ${path}`,
        fix: `run openclaw as the owner of ${dirname(path)}, or fix its permissions (chmod 700)`,
      };
    return undefined;
  }
  let dir = dirname(path);
  for (;;) {
    try {
      accessSync(dir, fsc.F_OK);
      break;
    } catch {
      if (dirname(dir) === dir) break;
      dir = dirname(dir);
    }
  }
  if (writable(dir)) return undefined;
  return {
    state: 'not_creatable',
    detail: `no store yet, and ${path} cannot be created: ${dir} is not writable by this user`,
    fix: `fix the permissions of ${dir}, or point exec.store in openclaw.yaml at a writable place`,
  };
}

/** `ledger.integrity` with another bound (tests use a short one). */
export const ledgerIntegrityCheck = (boundMs = STORE_BOUND_MS): CheckDefinition => ({
  id: 'ledger.integrity',
  title: 'the evidence ledger verifies (hash chain intact)',
  severity: 'high',
  timeoutMs: boundMs + 500,
  run: (ctx) => verifyLedger(ctx, boundMs),
});

export const ledgerIntegrity = ledgerIntegrityCheck();

async function verifyLedger(ctx: DoctorContext, boundMs: number): Promise<CheckOutcome> {
  const deadline = performance.now() + boundMs;
  const fresh = await freshDefaultStore(ctx);
  if (fresh)
    return {
      status: 'skip',
      detail: NO_LEDGER_YET,
      evidence: { kind: 'sqlite', location: fresh.dbPath, checkpoint: null, checkpoints_passed_over: [], bound_ms: boundMs, state: 'absent' },
    };
  const [{ locateStore }, { findNewestCheckpoint }, { openLedgerReader }, { verifyWithin }] = await Promise.all([
    import('../exec-store/locate.js'),
    import('../exec-store/checkpoints.js'),
    import('../exec-store/reader.js'),
    import('../exec-store/verify-within.js'),
  ]);
  const loc = await locateStore(ctx);
  if (!loc.ok) return { status: 'unknown', detail: `the ledger was not read: ${loc.reason}`, remediation: loc.hint, evidence: {} };
  const cp = findNewestCheckpoint(loc.paths.checkpointsDir, loc.paths.ledgerKey, loc.label);
  const cpEvidence =
    cp.state === 'none'
      ? null
      : { file: cp.file, state: cp.state, seq: cp.state === 'trusted' ? cp.checkpoint.seq : cp.state === 'unverifiable' ? cp.seq : null };
  const base = { kind: loc.target.kind, location: loc.location, checkpoint: cpEvidence, checkpoints_passed_over: cp.passedOver, bound_ms: boundMs };
  const cpInvalid: CheckOutcome | undefined =
    cp.state === 'invalid'
      ? {
          status: 'fail',
          detail: `${cp.reason}`,
          remediation: `the checkpoint was altered or is not one: keep it as evidence and move it out of ${loc.paths.checkpointsDir}; then \`openclaw exec ledger checkpoint\` signs the current head`,
          evidence: base,
        }
      : undefined;

  const opened = await openLedgerReader(loc.target, { deadline, ms: boundMs });
  if (opened.state === 'unreachable')
    return {
      status: 'unknown',
      detail: `the ledger was not read: ${opened.reason}`,
      remediation: `${opened.hint} (see store.reachable)`,
      evidence: base,
    };
  if (opened.state === 'absent' || !opened.reader.initialised) {
    if (opened.state === 'open') await opened.reader.close();
    if (cpInvalid) return cpInvalid;
    const removed = `restore the store from a backup; if you removed it on purpose, move ${loc.paths.checkpointsDir} aside too`;
    if (cp.state === 'trusted')
      return {
        status: 'fail',
        detail: `there is no ledger at ${loc.location}, but checkpoint ${cp.file} says it reached seq ${cp.checkpoint.seq}: the ledger was removed`,
        remediation: removed,
        evidence: { ...base, state: 'absent' },
      };
    // A checkpoint nobody can check proves nothing; it still deserves a look.
    if (cp.state === 'unverifiable')
      return {
        status: 'warn',
        detail: `there is no ledger at ${loc.location}, but checkpoint ${cp.file} claims seq ${cp.seq ?? '?'}; it cannot be checked: ${cp.reason}`,
        remediation: `${cp.hint}; if the ledger was removed, ${removed}`,
        evidence: { ...base, state: 'absent' },
      };
    return { status: 'skip', detail: NO_LEDGER_YET, evidence: { ...base, state: 'absent' } };
  }

  const { reader } = opened;
  try {
    const v = await verifyWithin(reader, cp.state === 'trusted' ? cp.checkpoint : undefined, deadline);
    const evidence = {
      ...base,
      state: 'verified',
      complete: v.complete,
      records: v.verified,
      head: v.report.head,
      problem: v.report.problem ?? null,
      checkpoint_status: v.report.checkpoint?.status ?? null,
      ms: v.ms,
    };
    // Stopped early, the checker reports a checkpoint not reached yet as a removed tail: only a complete run's problem counts.
    if (v.complete && v.report.problem) {
      const p = v.report.problem;
      return {
        status: 'fail',
        detail: p.message,
        remediation: `treat it as tampering: ${loc.target.kind === 'sqlite' ? `copy ${loc.location} aside` : 'dump the ledger table (pg_dump -t ledger)'} as evidence; \`openclaw exec ledger verify\` names the same first bad record (seq ${p.seq ?? 'unknown'}); then restore the store from a backup, or move it away to start a new ledger`,
        evidence,
      };
    }
    if (!v.complete) {
      const head = await reader.head();
      if (cp.state === 'trusted' && head !== null && head < cp.checkpoint.seq)
        return {
          status: 'fail',
          detail: `the ledger ends at seq ${head} but checkpoint ${cp.file} signed seq ${cp.checkpoint.seq}: records ${head + 1}..${cp.checkpoint.seq} were removed`,
          remediation: `restore the store from a backup; \`openclaw exec ledger verify --checkpoint ${cp.file}\` checks every record`,
          evidence: { ...evidence, head_seq: head },
        };
      return {
        status: 'unknown',
        detail: `verified ${v.verified} of ${head ?? '?'} records in the time budget (${boundMs} ms), no problem so far`,
        remediation: `run \`openclaw exec ledger verify${cp.state === 'trusted' ? ` --checkpoint ${cp.file}` : ''}\` to verify all of them`,
        evidence: { ...evidence, head_seq: head },
      };
    }
    if (cpInvalid) return { ...cpInvalid, evidence };
    const n = v.verified;
    if (n === 0 && cp.state === 'none') return { status: 'skip', detail: 'the ledger is empty: nothing recorded yet', evidence };
    const chain = `${n} record${n === 1 ? '' : 's'}, chain intact (head #${v.report.head?.seq ?? 0} ${v.report.head?.hash.slice(0, 12) ?? ''}) in ${v.ms} ms`;
    if (cp.state === 'trusted') return { status: 'pass', detail: `${chain}; matches signed checkpoint #${cp.checkpoint.seq}`, evidence };
    if (cp.state === 'unverifiable')
      return {
        status: 'warn',
        detail: `${chain}; checkpoint ${cp.file}${cp.seq !== null && cp.seq > n ? ` claims seq ${cp.seq}, beyond the head, but` : ''} cannot be checked: ${cp.reason}`,
        remediation: cp.hint,
        evidence,
      };
    return { status: 'pass', detail: `${chain}; no checkpoint to check a removed tail against (\`openclaw exec ledger checkpoint\`)`, evidence };
  } finally {
    await reader.close();
  }
}
