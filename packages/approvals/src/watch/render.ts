/** How a token looks to a human: in `pending`, `watch` and the `serve` log. */
import type { ChalkInstance } from 'chalk';
import { describeState, type TokenRecord } from '../tokens/machine.js';

const plain = new Proxy((s: unknown) => String(s), { get: () => plain }) as unknown as ChalkInstance;

export function secondsLeft(r: TokenRecord, now = Date.now()): number {
  return Math.max(0, Math.round((r.expiresAt - now) / 1000));
}

export function shortCommand(r: TokenRecord, max = 120): string {
  const c = r.request.command;
  return c.length > max ? `${c.slice(0, max)}…` : c;
}

/** One line: id, state, agent, command. */
export function tokenLine(r: TokenRecord, c: ChalkInstance = plain, now = Date.now()): string {
  const state = describeState(r);
  const when = r.state === 'pending' || r.state === 'approved' ? `${secondsLeft(r, now)}s left` : state;
  return `${c.bold(r.id)}  ${state.padEnd(8)} ${String(when).padEnd(10)} agent=${r.binding.agentId ?? '-'}  ${shortCommand(r)}`;
}

/** The full view a human decides on. */
export function tokenBlock(r: TokenRecord, c: ChalkInstance = plain, now = Date.now()): string {
  const b = r.binding;
  const lines = [
    `${c.yellow.bold('approval requested')}  ${c.dim(`id ${r.id} · expires in ${secondsLeft(r, now)} s`)}`,
    `  command  ${c.bold(r.request.command.length > 2000 ? `${r.request.command.slice(0, 2000)}…` : r.request.command)}`,
    `  cwd      ${r.request.cwd}`,
    `  agent    ${b.agentId ?? '-'}   host ${r.request.host}   session ${b.sessionId ?? '-'}   sandbox ${b.sandboxId ?? '-'}`,
  ];
  for (const s of r.request.segments)
    lines.push(`  ${c.dim('runs')}     ${s.realPath ?? `${s.argv[0]} (not found)`}${s.matchedPattern ? c.dim(` (allowlisted: ${s.matchedPattern})`) : ''}`);
  for (const reason of r.request.reasons.filter((x) => x.code !== 'allowlist_hit')) lines.push(`  ${c.dim('why')}      ${reason.message}`);
  return lines.join('\n');
}
