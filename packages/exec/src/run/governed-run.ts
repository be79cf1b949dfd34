/**
 * `exec run`: the governed one-shot exec for agents (SPEC §5). In order:
 *   1. the cwd must be an existing directory, the ledger must be writable and the kill switch off —
 *      otherwise deny (nothing runs that cannot be recorded);
 *   2. decide through the policy core; an *ask* goes to a human when one is reachable, else
 *      askFallback decides;
 *   3. run the decided plan — on the host (gateway) or inside the sandbox (host `sandbox`: bwrap or
 *      docker, `src/sandbox/`); an unusable sandbox is a deny with the fix;
 *   4. record exec.started / exec.finished (or exec.denied, and approval.* when a human was asked).
 * The exit code is the command's own, 77 when denied and 124 when the time ran out.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Ask as AskMode, type CompiledPolicy, type Decision, ExitCode, type Host, type Reason, type Security, type SegmentReport } from '@openclaw/policy';
import type { Actor } from '../ledger/record.js';
import { hostLauncher } from '../runner/host.js';
import { ledgerEvidence } from '../runner/ledger-evidence.js';
import { runPlan } from '../runner/run-plan.js';
import type { CommandEvidence, Launcher, RunPlan, RunResult } from '../runner/types.js';
import { sandboxLauncher } from '../sandbox/select.js';
import type { ExecStore } from '../store/types.js';
import type { ApprovalAnswer, HumanApprover } from './approver.js';
import { commandsFromDecision } from './plan.js';

export interface RunRequest {
  command?: string | undefined;
  argv?: string[] | undefined;
  cwd: string;
  agentId: string | null;
  host?: Host | undefined;
  security?: Security | undefined;
  ask?: AskMode | undefined;
  env?: Record<string, string>;
  /** Can only lower the policy's timeout. */
  timeoutSec?: number | undefined;
}

export interface RunDeps {
  policy: CompiledPolicy;
  store: ExecStore;
  actor: Actor;
  approver: HumanApprover;
  /** Told when the request waits for a human (the CLI prints how to answer). */
  onPending?: (token: string) => void;
  /** `$OPENCLAW_HOME`: hidden inside the sandbox. */
  openclawHome: string;
  /** `sandbox.workspace` from the config (default: the cwd). */
  sandboxWorkspace?: string | undefined;
  /** `sandbox.image` (docker). */
  sandboxImage?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Told the command's output as it arrives, within the output cap (see `RunPlan.onOutput`). */
  onOutput?: RunPlan['onOutput'];
}

export interface RunOutcome {
  decision: 'allow' | 'deny';
  reasons: Reason[];
  host: Host;
  /** Where it ran: host, bwrap — or null when denied. */
  launcher: string | null;
  segments: SegmentReport[];
  exitCode: number;
  timedOut: boolean;
  evidence: CommandEvidence[];
  durationMs: number;
  asked: boolean;
  /** Seqs of the ledger records written for this run. */
  ledger: number[];
}

function describe(req: RunRequest): string {
  return req.command ?? (req.argv ?? []).join(' ');
}

export async function governedRun(req: RunRequest, deps: RunDeps): Promise<RunOutcome> {
  const { policy, store, actor } = deps;
  const ledger: number[] = [];
  const subject = {
    command: describe(req),
    ...(req.argv ? { argv: req.argv } : {}),
    agent: req.agentId,
    cwd: req.cwd,
  };
  const record = async (type: string, data: Record<string, unknown>) => {
    const head = await store.append([{ type, data: { ...subject, ...data } }], actor);
    ledger.push(head.seq);
  };
  let asked = false;
  const denied = async (reasons: Reason[], decision?: Decision): Promise<RunOutcome> => {
    await record('exec.denied', { host: decision?.host ?? req.host ?? null, reasons });
    return {
      decision: 'deny',
      reasons,
      host: decision?.host ?? req.host ?? 'sandbox',
      launcher: null,
      segments: decision?.segments ?? [],
      exitCode: ExitCode.denied,
      timedOut: false,
      evidence: [],
      durationMs: 0,
      asked,
      ledger,
    };
  };

  let cwd: string;
  try {
    cwd = realpathSync(resolve(req.cwd));
    if (!statSync(cwd).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    return denied([{ code: 'cwd_invalid', message: `working directory ${req.cwd} is not an existing directory (${(e as Error).message})` }]);
  }

  const ks = await store.killSwitch();
  if (ks.on)
    return denied([
      {
        code: 'kill_switch_on',
        message: `the exec plane's kill switch is on${ks.reason ? ` (${ks.reason})` : ''}${ks.by ? `, set by ${ks.by}` : ''}`,
        hint: 'openclaw exec kill-switch off',
      },
    ]);

  const reachable = await deps.approver.reachable().catch(() => false);
  const base = {
    ...(req.command !== undefined ? { command: req.command } : { argv: req.argv ?? [] }),
    cwd,
    agentId: req.agentId,
    host: req.host,
    security: req.security,
    ask: req.ask,
    env: req.env ?? {},
  };
  let decision = policy.decide({ ...base, humanReachable: reachable });
  let reasons = decision.reasons;
  if (decision.decision === 'ask') {
    asked = true;
    await record('approval.requested', { host: decision.host, reasons: decision.reasons });
    const answer: ApprovalAnswer = await deps.approver
      .ask(
        {
          command: describe(req),
          argv: req.argv ?? null,
          agent: req.agentId,
          host: decision.host,
          cwd,
          reasons: decision.reasons,
          segments: decision.segments,
          security: req.security,
          ask: req.ask,
          ...(req.env ? { env: req.env } : {}),
        },
        {
          pending: async (token, expiresAt) => {
            deps.onPending?.(token);
            await record('approval.pending', { token, expires_at: expiresAt ? new Date(expiresAt).toISOString() : null });
          },
        },
      )
      .catch((e: Error & { reason?: string }) => ({
        decision: 'deny' as const,
        reasons: [{ code: 'approval_failed', message: `asking a human failed: ${e.reason ?? e.message}` }],
      }));
    const granted = answer.decision === 'allow';
    await record(granted ? 'approval.granted' : 'approval.denied', {
      reasons: answer.reasons,
      ...(answer.token ? { token: answer.token } : {}),
      via: answer.via ?? 'approver',
    });
    reasons = mergeReasons(decision.reasons, answer.reasons);
    if (!granted) return denied(reasons, decision);
    decision = { ...decision, decision: 'allow' };
  }
  if (decision.decision !== 'allow') return denied(decision.reasons, decision);

  let launcher: Launcher = hostLauncher;
  if (decision.host === 'node')
    return denied(
      [
        {
          code: 'node_host_unsupported',
          message: 'host node runs commands on a paired node, and this exec plane has no node transport',
          hint: 'use --host gateway (this machine) or --host sandbox',
        },
      ],
      decision,
    );
  if (decision.host === 'sandbox') {
    const choice = sandboxLauncher({
      status: policy.inputs.sandbox,
      openclawHome: deps.openclawHome,
      workspace: deps.sandboxWorkspace ?? cwd,
      image: deps.sandboxImage,
      ...(deps.env ? { env: deps.env } : {}),
    });
    if (!choice.ok) return denied([choice.reason], decision);
    launcher = choice.launcher;
  }

  let commands: ReturnType<typeof commandsFromDecision>;
  try {
    commands = commandsFromDecision(decision, { command: req.command, argv: req.argv, cwd });
  } catch (e) {
    return denied([{ code: (e as { code?: string }).code ?? 'nothing_to_run', message: (e as Error).message }], decision);
  }
  const timeoutSec = Math.min(decision.timeoutSec, req.timeoutSec ?? Number.POSITIVE_INFINITY);
  await record('exec.started', {
    host: decision.host,
    launcher: launcher.name,
    reasons: reasons.map((r) => r.code),
    files: commands.map((c) => c.file),
    timeout_sec: timeoutSec,
    max_output_chars: decision.maxOutputChars,
  });
  const result: RunResult = await runPlan(
    {
      commands,
      cwd,
      env: decision.childEnv ?? {},
      timeoutMs: timeoutSec * 1000,
      maxOutputChars: decision.maxOutputChars,
      ...(deps.onOutput ? { onOutput: deps.onOutput } : {}),
    },
    launcher,
  );
  await record('exec.finished', {
    host: decision.host,
    exit_code: result.exitCode,
    timed_out: result.timedOut,
    duration_ms: result.durationMs,
    evidence: result.evidence.map(ledgerEvidence),
  });
  return {
    decision: 'allow',
    reasons,
    host: decision.host,
    launcher: launcher.name,
    segments: decision.segments,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    evidence: result.evidence,
    durationMs: result.durationMs,
    asked,
    ledger,
  };
}

/** The policy's reasons followed by the approver's, each once (the endpoint repeats the request's reasons). */
function mergeReasons(first: Reason[], second: Reason[]): Reason[] {
  const seen = new Set(first.map((r) => `${r.code}\0${r.message}`));
  return [...first, ...second.filter((r) => !seen.has(`${r.code}\0${r.message}`))];
}
