/**
 * Per-request resolution of the exec settings (SPEC §3): each field from the tool parameter, then the
 * agent's override, then the global config, then the default; then the *stricter* of that and the
 * approvals file (`agents.<id>` → `agents."*"` → `defaults`): security and askFallback take the
 * lower (deny < allowlist < full), ask the higher (off < on-miss < always). The approvals file can
 * only tighten: a field it leaves unset imposes nothing. Every field says where its value came from.
 */
import type { ApprovalsSnapshot } from '../approvals/read.js';
import type { ExecToolConfig, OpenclawConfig } from '../config/schema.js';
import { ASK_RANK, type Ask, DEFAULTS, type Host, SECURITY_RANK, type Security } from '../config/values.js';
import { DEFAULT_POLICY_PATH } from '../executables/resolve.js';

export interface ToolParams {
  host?: Host | undefined;
  security?: Security | undefined;
  ask?: Ask | undefined;
}

export interface EffectivePolicy {
  agent: string | null;
  host: Host;
  security: Security;
  ask: Ask;
  askFallback: Security;
  node: string | null;
  timeoutSec: number;
  maxOutputChars: number;
  path: string[];
  sources: Record<'host' | 'security' | 'ask' | 'askFallback' | 'node' | 'timeoutSec' | 'maxOutputChars' | 'path', string>;
}

type Field = keyof ExecToolConfig;

function fromConfig<F extends Field>(
  config: OpenclawConfig,
  agent: string | null,
  params: ToolParams,
  field: F,
  fallback: NonNullable<ExecToolConfig[F]> | null,
) {
  const param = (params as Record<string, unknown>)[field];
  if (param !== undefined) return { value: param as NonNullable<ExecToolConfig[F]>, source: 'request' };
  if (agent !== null) {
    const v = config.agents?.[agent]?.tools?.exec?.[field];
    if (v !== undefined) return { value: v as NonNullable<ExecToolConfig[F]>, source: `config:agents.${agent}.tools.exec.${field}` };
  }
  const v = config.tools?.exec?.[field];
  if (v !== undefined) return { value: v as NonNullable<ExecToolConfig[F]>, source: `config:tools.exec.${field}` };
  return { value: fallback, source: 'default' };
}

/**
 * What the approvals file says for a field, most specific first. A field it does not set (or a
 * missing file) imposes nothing: the config's own default is already the strictest value.
 */
function fromApprovals(approvals: ApprovalsSnapshot, agent: string | null, field: 'security' | 'ask' | 'askFallback') {
  if (approvals.status !== 'ok') return undefined;
  const f = approvals.file;
  if (agent !== null && agent !== '*') {
    const v = f.agents?.[agent]?.[field];
    if (v !== undefined) return { value: v, source: `approvals:agents.${agent}.${field}` };
  }
  const star = f.agents?.['*']?.[field];
  if (star !== undefined) return { value: star, source: `approvals:agents.*.${field}` };
  const d = f.defaults?.[field];
  if (d !== undefined) return { value: d, source: `approvals:defaults.${field}` };
  return undefined;
}

export function resolveEffective(config: OpenclawConfig, approvals: ApprovalsSnapshot, agent: string | null, params: ToolParams = {}): EffectivePolicy {
  const host = fromConfig(config, agent, params, 'host', DEFAULTS.host);
  const sources = {} as EffectivePolicy['sources'];
  sources.host = host.source;

  const lower = (field: 'security' | 'askFallback') => {
    const c = fromConfig(config, agent, field === 'security' ? params : {}, field, field === 'security' ? DEFAULTS.security : DEFAULTS.askFallback);
    const a = fromApprovals(approvals, agent, field);
    const pick = a && SECURITY_RANK[a.value as Security] < SECURITY_RANK[c.value as Security] ? a : c;
    sources[field] = pick.source;
    return pick.value as Security;
  };
  const security = lower('security');
  const askFallback = lower('askFallback');
  const askC = fromConfig(config, agent, params, 'ask', DEFAULTS.ask);
  const askA = fromApprovals(approvals, agent, 'ask');
  const askPick = askA && ASK_RANK[askA.value as Ask] > ASK_RANK[askC.value as Ask] ? askA : askC;
  sources.ask = askPick.source;

  const node = fromConfig(config, agent, {}, 'node', null);
  const timeoutSec = fromConfig(config, agent, {}, 'timeoutSec', DEFAULTS.timeoutSec);
  const maxOutputChars = fromConfig(config, agent, {}, 'maxOutputChars', DEFAULTS.maxOutputChars);
  const path = fromConfig(config, agent, {}, 'path', DEFAULT_POLICY_PATH);
  sources.node = node.source;
  sources.timeoutSec = timeoutSec.source;
  sources.maxOutputChars = maxOutputChars.source;
  sources.path = path.source;
  return {
    agent,
    host: host.value as Host,
    security,
    ask: askPick.value as Ask,
    askFallback,
    node: (node.value as string | null) ?? null,
    timeoutSec: timeoutSec.value as number,
    maxOutputChars: maxOutputChars.value as number,
    path: [...(path.value as string[])],
    sources,
  };
}
