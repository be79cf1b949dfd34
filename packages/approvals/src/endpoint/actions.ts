/**
 * The endpoint's actions, behind authentication (server.ts). `local.exec` decides through the
 * policy core: allow and deny are answered directly; an ask issues a Pending token bound to the
 * request (`pending_hitl`); a retry carrying a token is re-decided and, if the policy still asks,
 * consumes the token — and may wait (`waitMs`) for a human, answering as soon as the token changes.
 * Operators approve (once, or always: the request's canonical paths join the agent's allowlist),
 * deny or revoke tokens, and list or wait for what is pending.
 */
import type { Decision, LoadedPolicy, Reason } from '@openclaw/policy';
import { addAllowlistPattern, executableKind, SHARED_AGENT } from '../file/allowlist.js';
import type { ErrorAnswer, ExecAnswer, OperatorAnswer, PendingAnswer, PingAnswer, RequestBody } from '../protocol/messages.js';
import { requestFingerprint } from '../tokens/fingerprint.js';
import type { TokenRecord, TransitionRefusal } from '../tokens/machine.js';
import type { TokenStore } from '../tokens/store.js';
import type { PolicySource } from './policy-source.js';
import type { ActionHandler, RequestContext } from './server.js';

export type ApprovalEvent =
  | { event: 'pending' | 'consumed' | 'denied' | 'revoked' | 'expired'; token: TokenRecord }
  | { event: 'approved'; token: TokenRecord; allowlisted: string[]; warnings: string[] };

export interface ActionsOptions {
  policy: PolicySource;
  store: TokenStore;
  approvalsPath: string;
  /** Identifies this server run for pending watchers. */
  epoch: string;
  onEvent?: (e: ApprovalEvent) => void;
}

type ExecBody = Extract<RequestBody, { action: 'local.exec' }>;

function quote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Resolves after the token `id` changes (any token when `id` is undefined), `ms` passes, or `signal` aborts. */
function waitForChange(store: TokenStore, id: string | undefined, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      store.events.off('change', onChange);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const onChange = (r: TokenRecord) => {
      if (id === undefined || r.id === id) done();
    };
    const timer = setTimeout(done, ms);
    store.events.on('change', onChange);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createActions(opts: ActionsOptions): ActionHandler {
  const { store } = opts;
  const emit = (e: ApprovalEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // logging never changes an answer
    }
  };
  let schema: typeof import('../protocol/messages.js').compiledRequestBody | undefined;

  const view = (d: Decision) => ({
    host: d.host,
    security: d.security,
    ask: d.ask,
    segments: d.segments.map((s) => ({ argv: s.argv, realPath: s.realPath, matchedPattern: s.matchedPattern })),
  });

  /** A decision, or a pending token to wait on (for at most `waitMs`) before deciding again. */
  type Step = { answer: ExecAnswer; waitMs?: undefined } | { answer: ExecAnswer; waitMs: number };

  function step(b: ExecBody, policy: LoadedPolicy['policy'], deadline: number, ctx: RequestContext): Step {
    const r = b.request;
    const d = policy.decide({
      ...(r.command !== undefined ? { command: r.command } : { argv: r.argv as string[] }),
      cwd: r.cwd,
      agentId: r.agentId ?? null,
      host: r.host,
      security: r.security,
      ask: r.ask,
      env: r.env ?? {},
    });
    if (d.decision !== 'ask') return { answer: { decision: d.decision, reasons: d.reasons, ...view(d) } };
    const binding = {
      fingerprint: requestFingerprint({ decision: d, command: r.command, argv: r.argv, cwd: r.cwd }),
      agentId: r.agentId ?? null,
      sessionId: r.sessionId ?? null,
      sandboxId: r.sandboxId ?? null,
    };
    if (b.approvalToken === undefined) {
      const rec = store.issue(binding, {
        command: r.command ?? quote(r.argv as string[]),
        cwd: r.cwd,
        host: d.host,
        segments: view(d).segments,
        reasons: d.reasons,
      });
      if (!rec)
        return {
          answer: {
            decision: 'deny',
            reasons: [{ code: 'too_many_pending', message: `${store.maxPending} requests are already waiting for a human; this one is denied` }, ...d.reasons],
            ...view(d),
          },
        };
      emit({ event: 'pending', token: rec });
      return { answer: { decision: 'pending_hitl', reasons: d.reasons, token: rec.id, expiresAt: rec.expiresAt, ...view(d) } };
    }
    const c = store.consume(b.approvalToken, binding);
    if (c.ok) {
      emit({ event: 'consumed', token: c.record });
      const scope = c.record.resolution?.scope ?? 'once';
      const approved: Reason = { code: 'human_approved', message: `approved by a human (token ${c.record.id}, allow-${scope}; now used)` };
      return { answer: { decision: 'allow', reasons: [approved, ...d.reasons], ...view(d) } };
    }
    if (c.code === 'token_pending') {
      const answer: ExecAnswer = {
        decision: 'pending_hitl',
        reasons: [{ code: 'token_pending', message: c.reason }],
        token: b.approvalToken,
        ...(c.record ? { expiresAt: c.record.expiresAt } : {}),
        ...view(d),
      };
      const left = Math.min(deadline, (c.record?.expiresAt ?? deadline) + 20) - Date.now();
      return left > 0 && !ctx.signal.aborted ? { answer, waitMs: left } : { answer };
    }
    return { answer: { decision: 'deny', reasons: [{ code: c.code, message: c.reason }, ...d.reasons], ...view(d) } };
  }

  /** A config that turned invalid while serving denies everything until it is fixed. */
  function unavailable(e: unknown): ExecAnswer {
    const err = e as { code?: string; reason?: string; hint?: string; message?: string };
    const reason: Reason = { code: err.code ?? 'policy_unavailable', message: err.reason ?? err.message ?? String(e) };
    if (err.hint) reason.hint = err.hint;
    return { decision: 'deny', reasons: [reason] };
  }

  /**
   * Decides without waiting when the loaded policy is known to be current (the common case: no
   * promise, no extra turn of the event loop); reloads, or waits for a human, asynchronously.
   */
  function exec(b: ExecBody, ctx: RequestContext): ExecAnswer | Promise<ExecAnswer> {
    const deadline = Date.now() + (b.waitMs ?? 0);
    let loaded: LoadedPolicy | undefined;
    try {
      loaded = opts.policy.peek(ctx.receivedAt);
    } catch {
      loaded = undefined; // current() fails the same way and says why
    }
    if (!loaded) return execLater(b, ctx, deadline);
    const s = step(b, loaded.policy, deadline, ctx);
    return s.waitMs === undefined ? s.answer : execLater(b, ctx, deadline, s);
  }

  async function execLater(b: ExecBody, ctx: RequestContext, deadline: number, waiting?: Step): Promise<ExecAnswer> {
    let receivedAt = ctx.receivedAt;
    for (;;) {
      if (waiting?.waitMs !== undefined) {
        await waitForChange(store, b.approvalToken, waiting.waitMs, ctx.signal);
        if (ctx.signal.aborted) return waiting.answer;
        receivedAt = performance.now(); // decided again on the inputs as they are now
      }
      let policy: LoadedPolicy['policy'];
      try {
        ({ policy } = await opts.policy.current(receivedAt));
      } catch (e) {
        return unavailable(e);
      }
      waiting = step(b, policy, deadline, ctx);
      if (waiting.waitMs === undefined) return waiting.answer;
    }
  }

  const refusal = (t: TransitionRefusal): ErrorAnswer => ({
    error: { code: t.code, reason: t.reason, hint: 'list what is waiting with `openclaw approvals pending` (--all for answered ones)' },
  });

  async function approve(id: string, scope: 'once' | 'always'): Promise<OperatorAnswer | ErrorAnswer> {
    const t = store.operate(id, 'approve', { scope });
    if (!t.ok) return refusal(t);
    const allowlisted: string[] = [];
    const warnings: string[] = [];
    if (scope === 'always') {
      const agent = t.record.binding.agentId ?? SHARED_AGENT;
      const paths = new Set<string>();
      for (const s of t.record.request.segments) {
        if (s.realPath === null) warnings.push(`\`${s.argv[0]}\` did not resolve to a file: nothing to allowlist for it`);
        else if (s.matchedPattern === null) paths.add(s.realPath);
      }
      for (const p of paths) {
        const kind = executableKind(p);
        if (kind) {
          warnings.push(
            `${p} is ${kind === 'shell' ? 'a shell' : 'an interpreter'}: not added to the allowlist (allowed once); if you mean it: openclaw approvals allowlist add ${p}${agent === SHARED_AGENT ? '' : ` --agent ${agent}`}`,
          );
          continue;
        }
        try {
          const res = await addAllowlistPattern(opts.approvalsPath, p, agent, {
            source: 'allow-always',
            lastUsedAt: Date.now(),
            lastUsedCommand: t.record.request.command.slice(0, 1_000),
            lastResolvedPath: p,
          });
          allowlisted.push(res.entry?.pattern ?? p);
          if (agent === SHARED_AGENT) warnings.push(`${p} was added to the shared allowlist ("*"): every agent may now run it`);
        } catch (e) {
          warnings.push(`${p} not added to the allowlist (allowed once): ${(e as Error).message}`);
        }
      }
    }
    emit({ event: 'approved', token: t.record, allowlisted, warnings });
    return { ok: true, token: t.record, allowlisted, warnings };
  }

  function operate(id: string, action: 'deny' | 'revoke', reason: string | undefined): OperatorAnswer | ErrorAnswer {
    const t = store.operate(id, action, reason ? { reason } : {});
    if (!t.ok) return refusal(t);
    emit({ event: action === 'deny' ? 'denied' : 'revoked', token: t.record });
    return { ok: true, token: t.record };
  }

  async function pending(b: Extract<RequestBody, { action: 'local.exec.pending' }>, ctx: { readonly signal: AbortSignal }): Promise<PendingAnswer> {
    const sameRun = b.epoch === undefined || b.epoch === opts.epoch;
    if (b.waitMs && sameRun && (b.afterVersion ?? 0) >= store.version) await waitForChange(store, undefined, b.waitMs, ctx.signal);
    return { tokens: store.list(b.all ? undefined : ['pending']), version: store.version, epoch: opts.epoch };
  }

  // The schemas (zod, compiled) load when the actions are made, not with the module: commands that only
  // import this stay light, and the first request does not wait for the compilation.
  const schemaLoading = import('../protocol/messages.js').then((m) => {
    schema = m.compiledRequestBody;
  });
  schemaLoading.catch(() => undefined); // a failed load is each request's internal error, not the process's
  const handle: ActionHandler = (raw, ctx) => {
    if (!schema) return schemaLoading.then(() => handle(raw, ctx));
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? first.path.map(String).join('.') : 'body';
      return { error: { code: 'body_invalid', reason: `${where}: ${first?.message ?? 'invalid'}` } };
    }
    const b = parsed.data;
    switch (b.action) {
      case 'ping':
        return { ok: true, server: 'openclaw-approvals', version: 1, pid: process.pid } satisfies PingAnswer;
      case 'local.exec':
        return exec(b, ctx);
      case 'local.exec.approve':
        return approve(b.id, b.scope ?? 'once');
      case 'local.exec.deny':
        return operate(b.id, 'deny', b.reason);
      case 'local.exec.revoke':
        return operate(b.id, 'revoke', b.reason);
      case 'local.exec.pending':
        return pending(b, ctx);
    }
  };
  return handle;
}
