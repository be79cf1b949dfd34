/**
 * The systemd side of fix-ssh: which units exist (ssh.service or sshd.service, ssh.socket or
 * sshd.socket), whether socket activation is in use, and the systemctl operations with their
 * inverses, so a rollback can undo exactly what was done, in reverse.
 */
import { describeFailure, type Helpers } from './helpers.js';
import { MARKER } from './sshd-config.js';

export interface UnitState {
  id: string;
  loadState: string;
  activeState: string;
  unitFileState: string;
}

export async function unitState(helpers: Helpers, name: string): Promise<UnitState | { error: string }> {
  const args = ['show', '--property=Id,LoadState,ActiveState,UnitFileState', name];
  const r = await helpers.run('systemctl', args);
  if (!r.ok) return { error: describeFailure('systemctl', args, r) };
  const kv = new Map(
    r.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const),
  );
  return {
    id: kv.get('Id') || name,
    loadState: kv.get('LoadState') ?? '',
    activeState: kv.get('ActiveState') ?? '',
    unitFileState: kv.get('UnitFileState') ?? '',
  };
}

/** The first of `names` that systemd has loaded. */
export async function findUnit(helpers: Helpers, names: readonly string[]): Promise<UnitState | undefined | { error: string }> {
  for (const n of names) {
    const s = await unitState(helpers, n);
    if ('error' in s) return s;
    if (s.loadState === 'loaded') return s;
  }
  return undefined;
}

export const socketInUse = (s: UnitState) =>
  ['enabled', 'enabled-runtime', 'static', 'indirect', 'linked', 'linked-runtime'].includes(s.unitFileState) ||
  ['active', 'activating', 'reloading'].includes(s.activeState);

export type Verb = 'enable' | 'disable' | 'start' | 'stop' | 'mask' | 'unmask' | 'restart';

const INVERSE: Partial<Record<Verb, Verb>> = { enable: 'disable', disable: 'enable', start: 'stop', stop: 'start', mask: 'unmask', unmask: 'mask' };

/** systemctl operations done so far, undone newest first. */
export class UnitOps {
  readonly done: Array<{ verb: Verb; unit: string }> = [];

  constructor(
    private readonly helpers: Helpers,
    private readonly plan: boolean,
  ) {}

  readonly planned: string[] = [];

  async apply(verb: Verb | 'daemon-reload', unit?: string): Promise<void> {
    const args = unit ? [verb, unit] : [verb];
    if (this.plan) {
      this.planned.push(`systemctl ${args.join(' ')}`);
      return;
    }
    const r = await this.helpers.run('systemctl', args, 90_000);
    if (!r.ok) throw new Error(describeFailure('systemctl', args, r));
    if (verb !== 'daemon-reload' && unit && INVERSE[verb]) this.done.push({ verb, unit });
  }

  /** Reverts enable/disable/mask/unmask (unit files) newest first; start/stop are handled by the caller, who knows the order units must come back in. */
  async revertUnitFiles(): Promise<string[]> {
    const problems: string[] = [];
    for (const op of [...this.done].reverse()) {
      if (op.verb === 'start' || op.verb === 'stop' || op.verb === 'restart') continue;
      const inverse = INVERSE[op.verb] as Verb;
      const r = await this.helpers.run('systemctl', [inverse, op.unit], 90_000);
      if (!r.ok) problems.push(describeFailure('systemctl', [inverse, op.unit], r));
    }
    return problems;
  }
}

export function neutraliseListenStream(text: string): { text: string; count: number } {
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
