/**
 * After the restart: what actually listens, from `ss`. Nothing may listen on a public address or a
 * wildcard (0.0.0.0:P, [::]:P, *:P) on sshd's ports, and the tailnet address must be listening —
 * otherwise the change would lock everyone out.
 */
import { auditListener, parseListeners } from '@openclaw/doctor';
import { describeFailure, type Helpers } from './helpers.js';

export interface ListenCheck {
  ok: boolean;
  detail: string;
  exposed: string[];
  missing: string[];
}

export async function checkListeners(helpers: Helpers, ip: string, ports: readonly number[]): Promise<ListenCheck> {
  const args = ['-H', '-tlnp'];
  const r = await helpers.run('ss', args);
  if (!r.ok) return { ok: false, detail: describeFailure('ss', args, r), exposed: [], missing: [] };
  let listeners: ReturnType<typeof auditListener>[];
  try {
    listeners = parseListeners(r.stdout).listeners.map(auditListener);
  } catch (e) {
    return { ok: false, detail: `cannot read the output of ss: ${(e as Error).message}`, exposed: [], missing: [] };
  }
  const onPorts = listeners.filter((l) => ports.includes(l.port));
  const exposed = onPorts.filter((l) => l.tier === 'public').map((l) => `${l.endpoint}${l.process ? ` (${l.process})` : ''}`);
  const missing = ports.filter((p) => !onPorts.some((l) => l.address === ip && l.port === p)).map((p) => `${ip}:${p}`);
  const ok = exposed.length === 0 && missing.length === 0;
  const detail = ok
    ? `ss: listening on ${ports.map((p) => `${ip}:${p}`).join(', ')}; nothing on 0.0.0.0, [::] or * for port${ports.length === 1 ? '' : 's'} ${ports.join(', ')}`
    : [exposed.length ? `still exposed: ${exposed.join(', ')}` : '', missing.length ? `not listening on ${missing.join(', ')}` : ''].filter(Boolean).join('; ');
  return { ok, detail, exposed, missing };
}
