/**
 * The decision (SPEC §3): allow, deny or ask — with reasons — for one command request.
 *
 * `compilePolicy()` does the slow work once (allowlist patterns compiled and indexed, PATH lookups
 * cached); `decide()` is synchronous and pure given the compiled policy and its resolver, so the
 * endpoint, the runner and benchmarks call it in a hot loop. Strictest wins: deny > ask > allow.
 *
 * Host `sandbox` is governed by the sandbox: the command runs inside it if the backend works, else
 * it is denied. Hosts `gateway` and `node` run on a real host and are governed by security and ask:
 *   deny → deny; full → allow (ask `always` still asks); allowlist → every segment's executable must
 *   match a pattern, a miss asks (on-miss/always) or denies (off). Without a reachable human, an ask
 *   becomes what `askFallback` says.
 * Everywhere: an invalid approvals file, a refused env key or an unanalysable command (unless security
 * is full, where the runner may hand the string to a shell) is a deny.
 */

import { AllowlistMatcher } from './allowlist/matcher.js';
import { type CompiledPattern, compilePattern } from './allowlist/pattern.js';
import { type Analysis, type AnalyzedSegment, analyzeCommand } from './analysis/analyze.js';
import type { ApprovalsSnapshot } from './approvals/read.js';
import type { OpenclawConfig } from './config/schema.js';
import type { Ask, Host, Security } from './config/values.js';
import { baseChildEnv, buildChildEnv } from './env/sanitize.js';
import { type ExecutableResolution, ExecutableResolver } from './executables/resolve.js';
import { userHome } from './home.js';
import { type EffectivePolicy, resolveEffective, type ToolParams } from './resolve/effective.js';
import type { SandboxStatus } from './sandbox/detect.js';

export type Verdict = 'allow' | 'deny' | 'ask';

export interface Reason {
  code: string;
  message: string;
  hint?: string;
  /** Index of the segment the reason is about. */
  segment?: number;
}

export interface SegmentReport {
  argv: string[];
  execArgv: string[];
  wrappers: string[];
  op: string | null;
  resolvedPath: string | null;
  realPath: string | null;
  matchedPattern: string | null;
}

export interface DecisionRequest extends ToolParams {
  command?: string;
  argv?: string[];
  cwd?: string;
  agentId?: string | null;
  env?: Record<string, string>;
  /**
   * Whether a human can be asked. `false` applies askFallback to an ask; `true` or absent leaves
   * the ask for the caller (the endpoint asks; `policy check` reports it).
   */
  humanReachable?: boolean;
}

export interface Decision {
  decision: Verdict;
  reasons: Reason[];
  agent: string | null;
  host: Host;
  security: Security;
  ask: Ask;
  askFallback: Security;
  segments: SegmentReport[];
  sources: EffectivePolicy['sources'];
  /** For an ask: what askFallback would decide if no human answers. */
  fallback?: { decision: 'allow' | 'deny'; reasons: Reason[] };
  /** The environment the child gets (never printed by default: values may be private). */
  childEnv?: Record<string, string>;
  /** Effective limits for the runner. */
  timeoutSec: number;
  maxOutputChars: number;
}

export interface PolicyInputs {
  config: OpenclawConfig;
  approvals: ApprovalsSnapshot;
  sandbox: SandboxStatus;
  home?: string;
  resolverTtlMs?: number;
}

/** Executables never allowed in allowlist mode: they run other commands or change privileges. */
export const ALWAYS_DENIED = new Set([
  'sudo',
  'doas',
  'su',
  'pkexec',
  'setsid',
  'chrt',
  'ionice',
  'taskset',
  'exec',
  'eval',
  'source',
  '.',
  'command',
  'builtin',
]);

/** A decision with the effective policy's fields, built field by field (no spread: every decision makes one). */
function decisionOf(decision: Verdict, reasons: Reason[], segments: SegmentReport[], agent: string | null, eff: EffectivePolicy): Decision {
  return {
    decision,
    reasons,
    segments,
    agent,
    host: eff.host,
    security: eff.security,
    ask: eff.ask,
    askFallback: eff.askFallback,
    sources: eff.sources,
    timeoutSec: eff.timeoutSec,
    maxOutputChars: eff.maxOutputChars,
  };
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? p : p.slice(i + 1);
}

function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export class CompiledPolicy {
  private readonly matchers = new Map<string, AllowlistMatcher>();
  private readonly resolvers = new Map<string, ExecutableResolver>();
  private readonly resolversByArray = new WeakMap<readonly string[], ExecutableResolver>();
  private readonly baseEnvs = new WeakMap<readonly string[], Readonly<Record<string, string>>>();
  private readonly effectiveCache = new Map<string, EffectivePolicy>();
  readonly home: string;

  constructor(readonly inputs: PolicyInputs) {
    this.home = inputs.home ?? userHome();
  }

  get approvals(): ApprovalsSnapshot {
    return this.inputs.approvals;
  }

  effective(agent: string | null, params: ToolParams = {}): EffectivePolicy {
    const key = `${agent ?? ''}\0${params.host ?? ''}\0${params.security ?? ''}\0${params.ask ?? ''}`;
    let e = this.effectiveCache.get(key);
    if (!e) {
      e = resolveEffective(this.inputs.config, this.inputs.approvals, agent, params);
      this.effectiveCache.set(key, e);
    }
    return e;
  }

  /** The agent's allowlist and the shared `*` list, compiled once. */
  matcherFor(agent: string | null): AllowlistMatcher {
    const key = agent ?? '*';
    let m = this.matchers.get(key);
    if (!m) {
      const patterns: CompiledPattern[] = [];
      const a = this.inputs.approvals;
      if (a.status === 'ok') {
        const lists =
          agent !== null && agent !== '*' ? [a.file.agents?.[agent]?.allowlist, a.file.agents?.['*']?.allowlist] : [a.file.agents?.['*']?.allowlist];
        for (const list of lists) {
          for (const entry of list ?? []) patterns.push(compilePattern(entry.pattern, this.home, patterns.length, entry.id));
        }
      }
      m = new AllowlistMatcher(patterns);
      this.matchers.set(key, m);
    }
    return m;
  }

  resolverFor(path: readonly string[]): ExecutableResolver {
    // Effective policies are cached, so the same PATH array comes back: look it up by identity first.
    let r = this.resolversByArray.get(path);
    if (r) return r;
    const key = path.join(':');
    r = this.resolvers.get(key);
    if (!r) {
      r = new ExecutableResolver(path, this.inputs.resolverTtlMs);
      this.resolvers.set(key, r);
    }
    this.resolversByArray.set(path, r);
    return r;
  }

  /** The minimal child env for a PATH, computed once (reading process.env is not free). */
  private baseEnvFor(path: readonly string[]): Readonly<Record<string, string>> {
    let env = this.baseEnvs.get(path);
    if (!env) {
      env = Object.freeze(baseChildEnv({ path, home: this.home }));
      this.baseEnvs.set(path, env);
    }
    return env;
  }

  analyze(req: DecisionRequest): Analysis {
    if (req.command !== undefined) return analyzeCommand({ command: req.command });
    return analyzeCommand({ argv: req.argv ?? [] });
  }

  decide(req: DecisionRequest): Decision {
    const agent = req.agentId ?? null;
    const eff = this.effective(agent, req);
    const cwd = req.cwd ?? process.cwd();
    const reasons: Reason[] = [];
    const segments: SegmentReport[] = [];
    const finish = (decision: Verdict, extra?: { childEnv: Record<string, string> }): Decision => {
      const d = decisionOf(decision, reasons, segments, agent, eff);
      if (extra) d.childEnv = extra.childEnv;
      return d;
    };
    const deny = (code: string, message: string, hint?: string) => {
      reasons.push(hint ? { code, message, hint } : { code, message });
      return finish('deny');
    };

    const approvals = this.inputs.approvals;
    if (approvals.status === 'invalid') return deny(approvals.error.code, approvals.error.reason, approvals.error.hint);

    if (eff.host !== 'sandbox' && eff.security === 'deny') {
      const fromApprovals = eff.sources.security.startsWith('approvals:');
      return deny(
        'security_deny',
        `security is deny (${eff.sources.security}) for host ${eff.host}`,
        fromApprovals
          ? 'the approvals file limits this agent to deny: change it with `openclaw approvals set --file FILE`'
          : 'set tools.exec.security: allowlist in openclaw.yaml and allow executables with `openclaw approvals allowlist add PATH`',
      );
    }

    const analysis = this.analyze(req);
    const resolutions: ExecutableResolution[] = [];
    if (analysis.ok) {
      const resolver = this.resolverFor(eff.path);
      for (const s of analysis.segments) {
        const r = resolver.resolve(s.argv[0] as string, cwd);
        resolutions.push(r);
        segments.push({
          argv: s.argv,
          execArgv: s.execArgv,
          wrappers: s.wrappers,
          op: s.op ?? null,
          resolvedPath: r.ok ? r.resolvedPath : null,
          realPath: r.ok ? r.realPath : null,
          matchedPattern: null,
        });
      }
    } else if (analysis.rejection.code === 'input_too_large' || analysis.rejection.code === 'nul_byte' || eff.security !== 'full') {
      // Too large or NUL is a deny at any security: such input never reaches a runner.
      return deny(
        'analysis_failed',
        `cannot analyse the command: ${analysis.rejection.reason}`,
        'pass the command as argv after `--`, without shell syntax (substitutions, redirects, globs)',
      );
    }

    const env = buildChildEnv(req.env, { path: eff.path, home: this.home }, this.baseEnvFor(eff.path));
    if (!env.ok) {
      for (const r of env.refused) reasons.push({ code: 'env_refused', message: `environment variable ${r.key}: ${r.reason}` });
      return finish('deny');
    }
    const childEnv = env.env;

    if (eff.host === 'sandbox') {
      const sb = this.inputs.sandbox;
      if (!sb.available) return deny('sandbox_unavailable', `the ${sb.backend} sandbox is unavailable: ${sb.reason}`, sb.hint);
      if (eff.ask === 'always') {
        reasons.push({ code: 'ask_always', message: `ask is always (${eff.sources.ask})` });
        return this.askOrFallback(req, reasons, segments, agent, eff, childEnv, analysis, true);
      }
      reasons.push({ code: 'sandbox', message: `runs inside the ${sb.backend} sandbox (${sb.reason})` });
      return finish('allow', { childEnv });
    }

    if (eff.security === 'full') {
      if (eff.ask === 'always') {
        reasons.push({ code: 'ask_always', message: `security is full but ask is always (${eff.sources.ask})` });
        return this.askOrFallback(req, reasons, segments, agent, eff, childEnv, analysis, true);
      }
      reasons.push({ code: 'security_full', message: `security is full (${eff.sources.security})` });
      return finish('allow', { childEnv });
    }

    // security allowlist
    const hit = this.judgeSegments(analysis, resolutions, segments, reasons, agent);
    if (hit === 'deny') return finish('deny');
    if (hit === 'miss') {
      if (eff.ask === 'off') {
        reasons.push({ code: 'ask_off', message: `ask is off (${eff.sources.ask}): a miss is a deny` });
        return finish('deny');
      }
      reasons.push({ code: 'ask_on_miss', message: `allowlist miss: a human must approve (ask ${eff.ask})` });
      return this.askOrFallback(req, reasons, segments, agent, eff, childEnv, analysis, false);
    }
    if (eff.ask === 'always') {
      reasons.push({ code: 'ask_always', message: `every segment is allowlisted, but ask is always (${eff.sources.ask})` });
      return this.askOrFallback(req, reasons, segments, agent, eff, childEnv, analysis, true);
    }
    return finish('allow', { childEnv });
  }

  /** Allowlist judgement of every segment: all hit → hit; any always-denied → deny; else miss. */
  private judgeSegments(
    analysis: Analysis,
    resolutions: readonly ExecutableResolution[],
    segments: SegmentReport[],
    reasons: Reason[],
    agent: string | null,
  ): 'hit' | 'miss' | 'deny' {
    if (!analysis.ok) {
      reasons.push({ code: 'analysis_failed', message: `cannot analyse the command: ${analysis.rejection.reason} (counts as an allowlist miss)` });
      return 'miss';
    }
    const matcher = this.matcherFor(agent);
    let result: 'hit' | 'miss' | 'deny' = 'hit';
    analysis.segments.forEach((s: AnalyzedSegment, i) => {
      const report = segments[i] as SegmentReport;
      const token = s.argv[0] as string;
      if (ALWAYS_DENIED.has(basename(token))) {
        reasons.push({ code: 'always_denied', message: `\`${basename(token)}\` is never allowed in allowlist mode`, segment: i });
        result = 'deny';
        return;
      }
      const r = resolutions[i] as ExecutableResolution;
      if (!r.ok) {
        reasons.push({
          code: 'not_found',
          message: `\`${token}\`: ${r.reason}`,
          segment: i,
          hint: 'use the full path, or add its directory to tools.exec.path',
        });
        if (result === 'hit') result = 'miss';
        return;
      }
      if (ALWAYS_DENIED.has(basename(r.realPath))) {
        reasons.push({ code: 'always_denied', message: `\`${token}\` is ${r.realPath}, which is never allowed in allowlist mode`, segment: i });
        result = 'deny';
        return;
      }
      const m = matcher.match(r.realPath);
      if (m) {
        report.matchedPattern = m.source;
        reasons.push({ code: 'allowlist_hit', message: `${r.realPath} matches ${m.source}`, segment: i });
      } else {
        reasons.push({
          code: 'allowlist_miss',
          message: `${r.realPath} (\`${quoteArgv(s.argv).slice(0, 200)}\`) matches no allowlist pattern${agent ? ` for agent ${agent}` : ''}`,
          segment: i,
          hint: `allow it with \`openclaw approvals allowlist add ${r.realPath}${agent ? ` --agent ${agent}` : ''}\``,
        });
        if (result === 'hit') result = 'miss';
      }
    });
    return result;
  }

  private askOrFallback(
    req: DecisionRequest,
    reasons: Reason[],
    segments: SegmentReport[],
    agent: string | null,
    eff: EffectivePolicy,
    childEnv: Record<string, string>,
    analysis: Analysis,
    allowlistSatisfied: boolean,
  ): Decision {
    const fb = eff.askFallback;
    const fbReasons: Reason[] = [];
    let fbDecision: 'allow' | 'deny';
    if (fb === 'full') {
      fbDecision = 'allow';
      fbReasons.push({ code: 'ask_fallback_full', message: 'no human reachable: askFallback is full' });
    } else if (fb === 'allowlist') {
      const satisfied = allowlistSatisfied && analysis.ok && (eff.host === 'sandbox' || segments.every((s) => s.matchedPattern !== null));
      fbDecision = satisfied ? 'allow' : 'deny';
      fbReasons.push({
        code: satisfied ? 'ask_fallback_allowlist' : 'ask_fallback_allowlist_miss',
        message: satisfied
          ? 'no human reachable: askFallback is allowlist and every segment is allowlisted'
          : 'no human reachable: askFallback is allowlist and the allowlist is not satisfied',
      });
    } else {
      fbDecision = 'deny';
      fbReasons.push({
        code: 'ask_fallback_deny',
        message: 'no human reachable: askFallback is deny',
        hint: 'start `openclaw approvals serve` so a human can answer, or allowlist the command',
      });
    }
    if (req.humanReachable === false) {
      const d = decisionOf(fbDecision, [...reasons, ...fbReasons], segments, agent, eff);
      if (fbDecision === 'allow') d.childEnv = childEnv;
      return d;
    }
    const d = decisionOf('ask', reasons, segments, agent, eff);
    d.childEnv = childEnv;
    d.fallback = { decision: fbDecision, reasons: fbReasons };
    return d;
  }
}

export function compilePolicy(inputs: PolicyInputs): CompiledPolicy {
  const p = new CompiledPolicy(inputs);
  // Compile the shared allowlist now so a bad pattern fails here, not in the hot loop.
  p.matcherFor(null);
  return p;
}
