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
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSshdEffective, sshdListenAddresses } from '@openclaw/doctor';
import { describeFailure, Helpers as HelperRunner, type Helpers } from './helpers.js';
import { Journal } from './journal.js';
import { HostPaths } from './paths.js';
import {
  type ConfigTree,
  type DropInPlan,
  directive,
  dropInContent,
  MAIN_CONFIG,
  MARKER,
  neutraliseConflicts,
  planDropIn,
  portsFromFiles,
  readConfigTree,
  withIncludeAtTop,
} from './sshd-config.js';
import { findUnit, socketInUse, UnitOps, type UnitState } from './systemd.js';
import { checkInterface, detectAddress, Refusal } from './tailscale.js';
import { checkListeners } from './verify.js';

export const STEP_IDS = [
  'preflight',
  'tailscale.address',
  'tailscale.interface',
  'sshd.read',
  'backup',
  'run.sshd',
  'sshd.ports',
  'ssh.socket',
  'sshd.dropin',
  'sshd.neutralise',
  'systemd.ordering',
  'sshd.validate',
  'sshd.effective',
  'sshd.restart',
  'verify.listeners',
] as const;
export type StepId = (typeof STEP_IDS)[number];
export type StepStatus = 'ok' | 'skipped' | 'failed' | 'planned' | 'not_run';

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

export const SERVICE_NAMES = ['ssh.service', 'sshd.service'];
export const SOCKET_NAMES = ['ssh.socket', 'sshd.socket'];
const ORDERING_DROPIN = '10-openclaw-tailnet.conf';
/** Steps that change something; in a dry run they report what they would do (`planned`). */
const MUTATING = new Set<StepId>(['backup', 'run.sshd', 'ssh.socket', 'sshd.dropin', 'sshd.neutralise', 'systemd.ordering', 'sshd.restart']);

class StepFailure extends Error {
  constructor(
    readonly reason: string,
    readonly hint?: string,
  ) {
    super(reason);
  }
}

interface State {
  paths: HostPaths;
  journal: Journal;
  helpers: Helpers;
  ops: UnitOps;
  dryRun: boolean;
  ip?: string;
  tree?: ConfigTree;
  dropin?: DropInPlan;
  ports?: number[];
  service?: UnitState;
  socket?: UnitState;
  socketActiveBefore: boolean;
  serviceActiveBefore: boolean;
  /** Services were stopped, started or restarted: the rollback must bring them back. */
  servicesTouched: boolean;
  unitFilesChanged: boolean;
}

const sshdArgs = (s: State, flag: '-t' | '-T') => [flag, '-f', s.paths.at(MAIN_CONFIG)];
/** What a step did, or in a dry run would do. */
const did = (s: State, past: string, verb: string) => (s.dryRun ? `would ${verb}` : past);

type StepResult = string | { skipped: string } | { planned: string };
type Step = (s: State, o: FixSshOptions) => Promise<StepResult>;

const STEPS: Record<StepId, Step> = {
  async preflight(s) {
    const notes: string[] = [];
    if (!s.paths.root) {
      const root = process.getuid?.() === 0;
      if (!root && !s.dryRun)
        throw new StepFailure('fix-ssh changes /etc/ssh and systemd units: it must run as root', 'sudo openclaw fix-ssh (try --dry-run first)');
      notes.push(root ? 'running as root' : 'not root: a dry run only');
    } else notes.push(`test root ${s.paths.root}`);
    if (s.journal.read(s.paths.at(MAIN_CONFIG)) === null)
      throw new StepFailure(`${MAIN_CONFIG} does not exist`, 'is the OpenSSH server installed? (apt-get install openssh-server)');
    const service = await findUnit(s.helpers, SERVICE_NAMES);
    if (service && 'error' in service)
      throw new StepFailure(
        `systemd cannot be queried: ${service.error}`,
        'fix-ssh manages sshd through systemd; on a host without systemd, lock sshd by hand',
      );
    if (!service) throw new StepFailure('no ssh.service or sshd.service unit is loaded', 'install openssh-server');
    s.service = service;
    s.serviceActiveBefore = service.activeState === 'active';
    notes.push(`${service.id} ${service.activeState}`);
    return notes.join('; ');
  },

  async 'tailscale.address'(s, o) {
    const { ip, from } = await detectAddress(s.helpers, o.ip);
    s.ip = ip;
    return `${ip} from ${from}`;
  },

  async 'tailscale.interface'(s) {
    const { device, notes } = await checkInterface(s.helpers, s.ip as string);
    return [`${s.ip} is up on ${device}`, ...notes].join('; ');
  },

  async 'sshd.read'(s) {
    s.tree = readConfigTree(s.paths, s.journal);
    s.dropin = planDropIn(s.tree, s.paths);
    return `${s.tree.files.length} file${s.tree.files.length === 1 ? '' : 's'} (${s.tree.files.map((f) => s.paths.host(f)).join(', ')}); drop-in ${s.dropin.dropin}: ${s.dropin.why}`;
  },

  async backup(s, o) {
    const tree = s.tree as ConfigTree;
    const service = (s.service as UnitState).id;
    const touched = [
      ...tree.files,
      s.paths.at((s.dropin as DropInPlan).dropin),
      s.paths.at(`/etc/systemd/system/${service}.d/${ORDERING_DROPIN}`),
      ...SOCKET_NAMES.flatMap((n) => unitDropIns(s, n)),
      ...unitDropIns(s, service),
    ];
    s.journal.backup(touched);
    if (s.dryRun)
      return { planned: `would copy ${tree.files.length} config file${tree.files.length === 1 ? '' : 's'} to /var/backups/openclaw-fix-ssh/<time>/` };
    const stamp = (o.now ?? new Date())
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const dir = s.paths.at(`/var/backups/openclaw-fix-ssh/${stamp}-${process.pid}`);
    s.journal.openBackup(dir);
    s.journal.write(
      join(dir, 'manifest.json'),
      `${JSON.stringify({ tool: 'openclaw fix-ssh', ip: s.ip, at: (o.now ?? new Date()).toISOString(), files: touched.map((p) => s.paths.host(p)), service: s.service }, null, 2)}\n`,
      0o600,
    );
    return `originals in ${s.paths.host(dir)}`;
  },

  async 'run.sshd'(s) {
    const dir = s.paths.at('/run/sshd');
    if (s.journal.exists(dir)) return { skipped: '/run/sshd exists' };
    if (s.dryRun) return { planned: 'would create /run/sshd (0755), which sshd -t and sshd -T need' };
    s.journal.mkdirp(dir, 0o755);
    return 'created /run/sshd (0755)';
  },

  async 'sshd.ports'(s) {
    const r = await s.helpers.run('sshd', sshdArgs(s, '-T'));
    if (r.ok) {
      const ports = [...new Set(sshdListenAddresses(parseSshdEffective(r.stdout)).map((l) => l.port))].sort((a, b) => a - b);
      if (!ports.length) throw new StepFailure('sshd -T shows no listenaddress: cannot tell which ports sshd uses');
      s.ports = ports;
      return `sshd listens on port${ports.length === 1 ? '' : 's'} ${ports.join(', ')} today (sshd -T); those ports are kept`;
    }
    if (s.dryRun) {
      // A dry run creates nothing (/run/sshd) and may run without root (host keys): read the files.
      s.ports = portsFromFiles(s.tree as ConfigTree, s.journal);
      return `sshd -T cannot run here (${(r.stderr || r.error || '').trim().split('\n')[0]}); from the files: port${s.ports.length === 1 ? '' : 's'} ${s.ports.join(', ')}`;
    }
    throw new StepFailure(
      `the current sshd configuration does not load: ${describeFailure('sshd', sshdArgs(s, '-T'), r)}`,
      'fix it first (sshd -t names the line)',
    );
  },

  async 'ssh.socket'(s) {
    const socket = await findUnit(s.helpers, SOCKET_NAMES);
    if (socket && 'error' in socket) throw new StepFailure(socket.error);
    const overrides = unitDropIns(s, `${socket?.id ?? SOCKET_NAMES[0]}`);
    if (!socket || !socketInUse(socket))
      return { skipped: socket ? `${socket.id} is ${socket.unitFileState}, ${socket.activeState}: not in use` : 'no ssh.socket unit' };
    s.socket = socket;
    s.socketActiveBefore = socket.activeState === 'active';
    const done: string[] = [];
    if (['enabled', 'enabled-runtime'].includes(socket.unitFileState)) {
      await s.ops.apply('disable', socket.id);
      done.push(did(s, 'disabled', 'disable'));
    }
    if (socket.activeState !== 'inactive') {
      s.servicesTouched = !s.dryRun;
      await s.ops.apply('stop', socket.id);
      done.push(did(s, 'stopped', 'stop'));
    }
    await s.ops.apply('mask', socket.id);
    s.unitFilesChanged = !s.dryRun;
    done.push(did(s, 'masked', 'mask'));
    let commented = 0;
    for (const f of overrides) {
      const n = neutraliseListenStream(s.journal.read(f) ?? '');
      if (n.count) {
        s.journal.write(f, n.text);
        commented += n.count;
      }
    }
    const service = s.service as UnitState;
    // Ubuntu's socket activation also makes the service need the socket (ssh.service.d/00-socket.conf:
    // Requires=ssh.socket); with the socket masked, that would keep ssh.service from starting.
    let unbound = 0;
    for (const f of unitDropIns(s, service.id)) {
      const n = dropUnitDependency(s.journal.read(f) ?? '', socket.id);
      if (n.count) {
        s.journal.write(f, n.text);
        unbound += n.count;
      }
    }
    if (!['enabled', 'enabled-runtime', 'alias'].includes(service.unitFileState)) {
      await s.ops.apply('enable', service.id);
      done.push(`${did(s, 'enabled', 'enable')} ${service.id} so it starts at boot`);
    }
    if (commented) done.push(`${did(s, 'commented out', 'comment out')} ${commented} ListenStream override${commented === 1 ? '' : 's'}`);
    if (unbound) done.push(`${did(s, 'removed', 'remove')} ${socket.id} from ${unbound} ${service.id} dependency line${unbound === 1 ? '' : 's'}`);
    return `${socket.id} (socket activation, listening on :22 whatever sshd_config says): ${done.join(', ')}`;
  },

  async 'sshd.dropin'(s) {
    const plan = s.dropin as DropInPlan;
    const real = s.paths.at(plan.dropin);
    s.journal.write(real, dropInContent(s.ip as string, s.ports as number[]), 0o644);
    let how = `${did(s, 'wrote', 'write')} ${plan.dropin}: AddressFamily inet, ${(s.ports as number[]).map((p) => `ListenAddress ${s.ip}:${p}`).join(', ')}`;
    if (plan.insertInclude) {
      const main = s.paths.at(MAIN_CONFIG);
      s.journal.write(main, withIncludeAtTop(s.journal.read(main) ?? '', plan.dropin));
      how += `; ${did(s, 'added', 'add')} \`Include ${plan.dropin}\` at the top of ${MAIN_CONFIG} (${plan.why})`;
    }
    return how;
  },

  async 'sshd.neutralise'(s) {
    const dropin = s.paths.at((s.dropin as DropInPlan).dropin);
    const changed: string[] = [];
    for (const f of (s.tree as ConfigTree).files) {
      if (f === dropin) continue;
      const n = neutraliseConflicts(s.journal.read(f) ?? '');
      if (!n.lines.length) continue;
      s.journal.write(f, n.text);
      changed.push(...n.lines.map((l) => `${s.paths.host(f)}:${l.line} ${l.text}`));
    }
    return changed.length
      ? `${did(s, 'commented out', 'comment out')} with "${MARKER}": ${changed.join('; ')}`
      : { skipped: 'no other ListenAddress or AddressFamily lines' };
  },

  async 'systemd.ordering'(s) {
    const service = s.service as UnitState;
    const path = `/etc/systemd/system/${service.id}.d/${ORDERING_DROPIN}`;
    s.journal.write(s.paths.at(path), orderingDropIn(s.ip as string), 0o644);
    s.unitFilesChanged = !s.dryRun;
    await s.ops.apply('daemon-reload');
    return `${did(s, 'wrote', 'write')} ${path}: after tailscaled.service, waits up to 30 s for ${s.ip}; daemon-reload`;
  },

  async 'sshd.validate'(s) {
    if (s.dryRun) return { planned: `would run sshd ${sshdArgs(s, '-t').join(' ')}` };
    const r = await s.helpers.run('sshd', sshdArgs(s, '-t'));
    if (!r.ok) throw new StepFailure(`the new configuration is invalid: ${describeFailure('sshd', sshdArgs(s, '-t'), r)}`);
    return 'sshd -t: valid';
  },

  async 'sshd.effective'(s) {
    const want = (s.ports as number[]).map((p) => `${s.ip}:${p}`);
    if (s.dryRun) return { planned: `would check with sshd -T: listenaddress ${want.join(', ')} only, addressfamily inet` };
    const r = await s.helpers.run('sshd', sshdArgs(s, '-T'));
    if (!r.ok) throw new StepFailure(describeFailure('sshd', sshdArgs(s, '-T'), r));
    const eff = parseSshdEffective(r.stdout);
    const got = sshdListenAddresses(eff).map((l) => `${l.address}:${l.port}`);
    const family = eff.get('addressfamily')?.[0];
    const extra = got.filter((g) => !want.includes(g));
    const missing = want.filter((w) => !got.includes(w));
    if (extra.length || missing.length || family !== 'inet')
      throw new StepFailure(
        `sshd -T (what sshd will really do) disagrees: listenaddress ${got.join(', ') || 'none'}, addressfamily ${family ?? 'unset'}; wanted ${want.join(', ')} and inet`,
      );
    return `sshd -T: listenaddress ${got.join(', ')}, addressfamily ${family}`;
  },

  async 'sshd.restart'(s) {
    const service = s.service as UnitState;
    if (s.dryRun) {
      await s.ops.apply('restart', service.id);
      return { planned: `would run systemctl restart ${service.id}` };
    }
    s.servicesTouched = true;
    await s.ops.apply('restart', service.id);
    return `systemctl restart ${service.id}`;
  },

  async 'verify.listeners'(s, o) {
    if (s.dryRun) return { planned: 'would check with ss that nothing listens on 0.0.0.0, [::] or * for the sshd ports' };
    const deadline = Date.now() + (o.verifyTimeoutMs ?? 5000);
    for (;;) {
      const c = await checkListeners(s.helpers, s.ip as string, s.ports as number[]);
      if (c.ok) return c.detail;
      if (Date.now() >= deadline) throw new StepFailure(`after the restart, ${c.detail}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  },
};

/** The `.conf` drop-ins of a unit in /etc/systemd/system/<unit>.d/ (real paths). */
function unitDropIns(s: State, unit: string): string[] {
  const dir = s.paths.at(`/etc/systemd/system/${unit}.d`);
  if (!s.journal.exists(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .map((n) => join(dir, n));
}

function neutraliseListenStream(text: string): { text: string; count: number } {
  let count = 0;
  const out = text.split('\n').map((l) => {
    if (!/^\s*ListenStream\s*=/.test(l)) return l;
    count++;
    return `${MARKER} ${l}`;
  });
  return { text: out.join('\n'), count };
}

/**
 * Removes `unit` from dependency lines (`Requires=ssh.socket`, `After=network.target ssh.socket`):
 * the original line is kept, commented with the marker, and the rest of its units stay.
 */
export function dropUnitDependency(text: string, unit: string): { text: string; count: number } {
  let count = 0;
  const out = text.split('\n').flatMap((line) => {
    const m = line.match(/^(\s*(?:Requires|Requisite|BindsTo|Wants|PartOf|Upholds|After|Before)\s*=\s*)(.*)$/);
    if (!m) return [line];
    const units = (m[2] as string).split(/\s+/).filter(Boolean);
    if (!units.includes(unit)) return [line];
    count++;
    const rest = units.filter((u) => u !== unit);
    return rest.length ? [`${MARKER} ${line}`, `${m[1]}${rest.join(' ')}`] : [`${MARKER} ${line}`];
  });
  return { text: out.join('\n'), count };
}

/** The ssh.service drop-in: start after tailscaled, and wait for the address (sshd cannot bind it before). */
export function orderingDropIn(ip: string): string {
  return [
    `# Written by \`openclaw fix-ssh\`: sshd listens only on ${ip} (Tailscale), so it starts after`,
    '# tailscaled and waits up to 30 s for that address to appear on an interface.',
    '[Unit]',
    'Wants=tailscaled.service',
    'After=tailscaled.service network-online.target',
    '',
    '[Service]',
    `ExecStartPre=/bin/sh -c 'for i in $$(seq 30); do ip -4 -o addr show | grep -qF " ${ip}/" && exit 0; sleep 1; done; echo "openclaw fix-ssh: ${ip} is not up" >&2; exit 1'`,
    '',
  ].join('\n');
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
