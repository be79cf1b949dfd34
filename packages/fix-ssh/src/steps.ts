/**
 * The steps of fix-ssh, in order, and what each one does to a host (or, in a dry run, would do).
 * Nothing before `backup` changes anything; every change after it goes through the journal (files)
 * or UnitOps (systemctl), which is how fix.ts can undo all of it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSshdEffective, sshdListenAddresses } from '@openclaw/doctor';
import { describeFailure, type Helpers } from './helpers.js';
import type { Journal } from './journal.js';
import type { HostPaths } from './paths.js';
import {
  type ConfigTree,
  type DropInPlan,
  dropInContent,
  MAIN_CONFIG,
  MARKER,
  neutraliseConflicts,
  planDropIn,
  portsFromFiles,
  readConfigTree,
  withIncludeAtTop,
} from './sshd-config.js';
import { dropUnitDependency, findUnit, neutraliseListenStream, orderingDropIn, socketInUse, type UnitOps, type UnitState } from './systemd.js';
import { checkInterface, detectAddress } from './tailscale.js';
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

/** What the steps read from the options of a run. */
export interface StepOptions {
  ip?: string;
  verifyTimeoutMs?: number;
  now?: Date;
}

export const SERVICE_NAMES = ['ssh.service', 'sshd.service'];
export const SOCKET_NAMES = ['ssh.socket', 'sshd.socket'];
const ORDERING_DROPIN = '10-openclaw-tailnet.conf';
/** Steps that change something; in a dry run they report what they would do (`planned`). */
export const MUTATING = new Set<StepId>(['backup', 'run.sshd', 'ssh.socket', 'sshd.dropin', 'sshd.neutralise', 'systemd.ordering', 'sshd.restart']);

export class StepFailure extends Error {
  constructor(
    readonly reason: string,
    readonly hint?: string,
  ) {
    super(reason);
  }
}

export interface State {
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

export const sshdArgs = (s: State, flag: '-t' | '-T') => [flag, '-f', s.paths.at(MAIN_CONFIG)];
/** What a step did, or in a dry run would do. */
const did = (s: State, past: string, verb: string) => (s.dryRun ? `would ${verb}` : past);

export type StepResult = string | { skipped: string } | { planned: string };
export type Step = (s: State, o: StepOptions) => Promise<StepResult>;

export const STEPS: Record<StepId, Step> = {
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
