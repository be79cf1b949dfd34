/**
 * `openclaw fix-ssh` (SPEC §8): lock sshd to this host's Tailscale address, one step at a time, each
 * recorded; any failure undoes every change — files through the journal, systemd units through the
 * inverse systemctl operations — prints diagnostics and reports `ok: false`.
 *
 *   preflight → tailscale.address → tailscale.interface → sshd.read → backup → run.sshd →
 *   sshd.ports → ssh.socket → sshd.dropin → sshd.neutralise → systemd.ordering → sshd.validate →
 *   sshd.effective → sshd.restart → verify.listeners
 *
 * Nothing before `backup` changes anything. Authentication settings are never touched.
 */
import { describeFailure, Helpers as HelperRunner } from './helpers.js';
import { Journal } from './journal.js';
import { HostPaths } from './paths.js';
import { directive, MAIN_CONFIG, MARKER, readConfigTree } from './sshd-config.js';
import { MUTATING, STEP_IDS, STEPS, type State, StepFailure, type StepId, type StepStatus, sshdArgs } from './steps.js';
import { UnitOps } from './systemd.js';
import { Refusal } from './tailscale.js';

export { STEP_IDS, type StepId, type StepStatus } from './steps.js';

export interface FixSshOptions {
  /** Prefix for every path (`--test-root`, OPENCLAW_TEST_ROOT); needs no root. */
  testRoot?: string | null;
  /** Show the changes (unified diffs, systemctl commands) and change nothing. */
  dryRun?: boolean;
  /** The Tailscale address, instead of `tailscale ip -4`. */
  ip?: string;
  env?: NodeJS.ProcessEnv;
  /** Test hook: fail right after this step made its changes, to prove the rollback. */
  failAfter?: StepId;
  /** How long to wait for ss to show the new listeners after the restart (default 5 s). */
  verifyTimeoutMs?: number;
  now?: Date;
}

export interface FixSshResult {
  ok: boolean;
  ip: string | null;
  dry_run: boolean;
  test_root: string | null;
  steps: Array<{ id: StepId; status: StepStatus; detail: string }>;
  /** Host paths changed or created (directories end in /); after a rollback: what is still different (none). */
  changed_files: string[];
  rolled_back: boolean;
  /** What a rollback could not undo (empty when it undid everything). */
  rollback_problems: string[];
  backup_dir: string | null;
  /** systemctl commands run, or in a dry run the ones that would run. */
  systemctl: string[];
  /** systemctl commands the rollback ran. */
  rollback_systemctl: string[];
  /** Unified diffs of every file changed (or, in a dry run, that would be). */
  diffs: Array<{ path: string; diff: string }>;
  error: { code: string; reason: string; hint?: string } | null;
  /** On failure: the effective listen settings, the service status and the config lines involved. */
  diagnostics: { sshd_T: string; service_status: string; config_lines: string[] } | null;
}

async function rollbackServices(s: State): Promise<string[]> {
  const problems = await s.ops.revertUnitFiles();
  const run = async (args: string[]) => {
    const r = await s.helpers.run('systemctl', args, 90_000);
    if (!r.ok) problems.push(describeFailure('systemctl', args, r));
  };
  if (s.unitFilesChanged) await run(['daemon-reload']);
  if (!s.servicesTouched || !s.service) return problems;
  const service = s.service.id;
  if (s.socket && s.socketActiveBefore) {
    // The socket must get port 22 back before sshd (which then inherits it) starts again.
    await run(['stop', service]);
    await run(['start', s.socket.id]);
    if (s.serviceActiveBefore) await run(['start', service]);
  } else await run([s.serviceActiveBefore ? 'restart' : 'stop', service]);
  return problems;
}

async function diagnose(s: State): Promise<FixSshResult['diagnostics']> {
  const t = await s.helpers.run('sshd', sshdArgs(s, '-T'));
  const sshdT = t.ok
    ? t.stdout
        .split('\n')
        .filter((l) => /^(listenaddress|addressfamily|port) /.test(l))
        .join('\n')
    : `sshd -T failed: ${(t.stderr || t.error || '').trim()}`;
  const service = s.service?.id ?? 'ssh.service';
  const st = await s.helpers.run('systemctl', ['status', '--no-pager', '--lines=5', service]);
  const configLines: string[] = [];
  let files = s.tree?.files ?? [s.paths.at(MAIN_CONFIG)];
  try {
    files = readConfigTree(s.paths, s.journal).files; // as they are now, with the drop-in
  } catch {
    // the tree as first read will do
  }
  for (const f of files) {
    (s.journal.read(f) ?? '').split('\n').forEach((line, i) => {
      const d = directive(line.startsWith(MARKER) ? line.slice(MARKER.length) : line);
      if (d && ['listenaddress', 'addressfamily', 'port', 'include', 'match'].includes(d.keyword)) configLines.push(`${s.paths.host(f)}:${i + 1}: ${line}`);
    });
  }
  return { sshd_T: sshdT, service_status: (st.stdout || st.stderr).trim().split('\n').slice(0, 12).join('\n'), config_lines: configLines };
}

async function unifiedDiffs(journal: Journal): Promise<FixSshResult['diffs']> {
  const changes = journal.changes();
  if (!changes.length) return [];
  const { createTwoFilesPatch } = await import('diff');
  return changes.map((c) => ({
    path: c.path,
    diff: createTwoFilesPatch(
      c.before === null ? '/dev/null' : `a${c.path}`,
      c.after === null ? '/dev/null' : `b${c.path}`,
      c.before ?? '',
      c.after ?? '',
      '',
      '',
      {
        context: 3,
      },
    )
      .split('\n')
      .slice(1) // jsdiff's "====" separator line
      .join('\n'),
  }));
}

export async function fixSsh(opts: FixSshOptions = {}): Promise<FixSshResult> {
  const env = opts.env ?? process.env;
  const root = opts.testRoot ?? (env.OPENCLAW_TEST_ROOT || null);
  // Fault injection for end-to-end tests, honoured only with a test root (never on a real host).
  const injected = env.OPENCLAW_TEST_FAIL_AFTER;
  if (root && opts.failAfter === undefined && injected && (STEP_IDS as readonly string[]).includes(injected)) opts = { ...opts, failAfter: injected as StepId };
  const paths = new HostPaths(root);
  const dryRun = opts.dryRun === true;
  const helperEnv = paths.root ? { ...env, OPENCLAW_TEST_ROOT: paths.root } : env;
  const helpers = new HelperRunner(helperEnv);
  const s: State = {
    paths,
    journal: new Journal(paths, dryRun),
    helpers,
    ops: new UnitOps(helpers, dryRun),
    dryRun,
    socketActiveBefore: false,
    serviceActiveBefore: false,
    servicesTouched: false,
    unitFilesChanged: false,
  };
  const steps: FixSshResult['steps'] = STEP_IDS.map((id) => ({ id, status: 'not_run', detail: '' }));
  let error: FixSshResult['error'] = null;
  let failedAt = -1;
  for (const [i, id] of STEP_IDS.entries()) {
    const step = steps[i] as FixSshResult['steps'][number];
    try {
      const r = await STEPS[id](s, opts);
      if (typeof r === 'string') Object.assign(step, { status: dryRun && MUTATING.has(id) ? 'planned' : 'ok', detail: r });
      else if ('skipped' in r) Object.assign(step, { status: 'skipped', detail: r.skipped });
      else Object.assign(step, { status: 'planned', detail: r.planned });
      if (opts.failAfter === id) throw new StepFailure(`failure injected after step ${id} (test hook)`);
    } catch (e) {
      const refusal = e instanceof Refusal;
      const reason = e instanceof StepFailure || refusal ? e.reason : (e as Error).message;
      const hint = e instanceof StepFailure || refusal ? e.hint : undefined;
      Object.assign(step, { status: 'failed', detail: step.detail ? `${step.detail} — then: ${reason}` : reason });
      error = { code: refusal ? 'fix_ssh_refused' : 'fix_ssh_failed', reason: `${id}: ${reason}`, ...(hint ? { hint } : {}) };
      failedAt = i;
      break;
    }
  }
  let diagnostics: FixSshResult['diagnostics'] = null;
  let rollbackProblems: string[] = [];
  let rolledBack = false;
  let callsBeforeRollback = -1;
  const diffs = await unifiedDiffs(s.journal);
  const backupDir = s.journal.backupDir ? paths.host(s.journal.backupDir) : null;
  // The backup directory and the parents made for it are where the backup lives, not changes.
  const createdDirs = s.journal.createdDirs().filter((d) => !backupDir || !(d.startsWith(backupDir) || backupDir.startsWith(`${d}/`)));
  if (error && !dryRun) {
    if (failedAt >= STEP_IDS.indexOf('sshd.read')) diagnostics = await diagnose(s);
    const touched = s.journal.changes().length > 0 || createdDirs.length > 0 || s.ops.done.length > 0 || s.servicesTouched || s.unitFilesChanged;
    if (touched || backupDir) {
      callsBeforeRollback = helpers.calls.length;
      rollbackProblems = [...s.journal.rollback(), ...(await rollbackServices(s))];
      rolledBack = true;
    }
  }
  const systemctl = (calls: typeof helpers.calls) =>
    calls.filter((c) => c.argv[0] === 'systemctl' && !['show', 'status'].includes(c.argv[1] as string)).map((c) => c.argv.join(' '));
  const changed = error ? s.journal.changes().map((c) => c.path) : [...diffs.map((d) => d.path), ...createdDirs.map((d) => `${d}/`)];
  const notBackup = (p: string) => !backupDir || !p.startsWith(backupDir);
  return {
    ok: error === null,
    ip: s.ip ?? null,
    dry_run: dryRun,
    test_root: paths.root,
    steps,
    changed_files: dryRun ? [] : changed.filter(notBackup),
    rolled_back: rolledBack,
    rollback_problems: rollbackProblems,
    backup_dir: error ? null : backupDir,
    systemctl: dryRun ? s.ops.planned : systemctl(callsBeforeRollback === -1 ? helpers.calls : helpers.calls.slice(0, callsBeforeRollback)),
    rollback_systemctl: callsBeforeRollback === -1 ? [] : systemctl(helpers.calls.slice(callsBeforeRollback)),
    diffs: diffs.filter((d) => notBackup(d.path)),
    error,
    diagnostics,
  };
}
