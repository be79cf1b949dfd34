/**
 * The endpoint's client, for `approvals request|pending|approve|deny|revoke|watch` and for other
 * packages (`exec run`). Each call is one connection: a signed request line, one signed response
 * line, verified against the socket token (an answer not signed by the endpoint is an error, never
 * a decision). Busy answers (rate limited, too many connections) are retried with back-off.
 */
import { connect } from 'node:net';
import { OpenclawError, type Reason } from '@openclaw/policy';
import { signRequest, verifyResponse } from '../protocol/frame.js';
import type { ExecAnswer, OperatorAnswer, PendingAnswer, PingAnswer } from '../protocol/messages.js';

export interface ApprovalsClientOptions {
  socketPath: string;
  /** The approvals file's `socket.token`. */
  token: string;
  /** Connect + answer time for one call that does not wait for a human (default 10 s). */
  ioTimeoutMs?: number;
}

/** A command to decide, as `local.exec` takes it. Exactly one of `argv` and `command`. */
export interface ExecAsk {
  argv?: string[];
  command?: string;
  /** Absolute working directory. */
  cwd: string;
  host?: 'sandbox' | 'gateway' | 'node';
  security?: 'deny' | 'allowlist' | 'full';
  ask?: 'off' | 'on-miss' | 'always';
  agentId?: string | null;
  sessionId?: string | null;
  sandboxId?: string | null;
  env?: Record<string, string>;
}

/** The end of a wait: allowed (token consumed), denied (with the reason), or nobody answered in time. */
export interface FinalAnswer {
  decision: 'allow' | 'deny' | 'timeout';
  reasons: Reason[];
  token: string;
}

export type ClientErrorCode = 'approvals_unreachable' | 'approvals_protocol' | 'approvals_refused' | 'aborted';

export class ApprovalsClientError extends OpenclawError {
  constructor(code: ClientErrorCode | string, reason: string, hint?: string) {
    super({ code, reason, ...(hint ? { hint } : {}) });
    this.name = 'ApprovalsClientError';
  }
}

const RETRYABLE = new Set(['rate_limited', 'too_many_connections']);
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const SERVER_MAX_WAIT_MS = 25_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export class ApprovalsClient {
  readonly socketPath: string;
  private readonly token: string;
  private readonly ioTimeoutMs: number;
  /** Requests by the token they got, so `waitForDecision(token)` can retry with the same request. */
  private readonly asked = new Map<string, ExecAsk>();

  constructor(opts: ApprovalsClientOptions) {
    this.socketPath = opts.socketPath;
    this.token = opts.token;
    this.ioTimeoutMs = opts.ioTimeoutMs ?? 10_000;
  }

  /** One signed round trip; the verified answer body. Throws ApprovalsClientError. */
  async call<T = unknown>(body: unknown, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(body, opts);
      } catch (e) {
        if (!(e instanceof ApprovalsClientError) || !RETRYABLE.has(e.code) || attempt >= 6 || opts.signal?.aborted) throw e;
        await sleep(20 * 2 ** attempt + Math.random() * 20, opts.signal);
      }
    }
  }

  private once<T>(body: unknown, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
    const { line, nonce } = signRequest(this.token, body);
    const timeoutMs = opts.timeoutMs ?? this.ioTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const sock = connect(this.socketPath);
      const finish = (err: (() => Error) | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        sock.destroy();
        if (err) reject(err());
        else resolve(value as T);
      };
      const onAbort = () => finish(() => new ApprovalsClientError('aborted', 'the request to the approvals endpoint was aborted'));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () =>
          finish(
            () =>
              new ApprovalsClientError(
                'approvals_unreachable',
                `the approvals endpoint on ${this.socketPath} did not answer within ${Math.round(timeoutMs / 100) / 10} s`,
                'is `openclaw approvals serve` running and responsive?',
              ),
          ),
        timeoutMs,
      );
      sock.on('connect', () => sock.write(line));
      sock.on('error', (e: NodeJS.ErrnoException) =>
        finish(
          () =>
            new ApprovalsClientError(
              'approvals_unreachable',
              `no approvals endpoint on ${this.socketPath} (${e.code ?? e.message})`,
              e.code === 'EACCES' ? 'the socket belongs to another user' : 'start one with `openclaw approvals serve`',
            ),
        ),
      );
      sock.on('data', (chunk: Buffer) => {
        const nl = chunk.indexOf(10);
        chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
        size += nl === -1 ? chunk.length : nl;
        if (size > MAX_ANSWER_BYTES) return finish(() => new ApprovalsClientError('approvals_protocol', 'the endpoint’s answer is too large'));
        if (nl === -1) return;
        const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)).toString('utf8');
        const v = verifyResponse(this.token, nonce, text);
        if (!v.ok) {
          const refusal = v.error;
          if (refusal) return finish(() => new ApprovalsClientError(refusal.code, v.reason));
          return finish(
            () =>
              new ApprovalsClientError(
                'approvals_protocol',
                v.reason,
                'check that the socket token in the approvals file is the one the endpoint was started with',
              ),
          );
        }
        let answer: unknown;
        try {
          answer = JSON.parse(v.body);
        } catch {
          return finish(() => new ApprovalsClientError('approvals_protocol', 'the endpoint’s answer is not JSON'));
        }
        const err = (answer as { error?: { code?: unknown; reason?: unknown; hint?: unknown } }).error;
        if (err && typeof err.code === 'string') {
          const code = err.code;
          return finish(() => new ApprovalsClientError(code, String(err.reason), typeof err.hint === 'string' ? err.hint : undefined));
        }
        finish(undefined, answer as T);
      });
      sock.on('close', () =>
        finish(
          () =>
            new ApprovalsClientError(
              'approvals_refused',
              `the approvals endpoint on ${this.socketPath} closed the connection without answering`,
              'the endpoint answers only its own user; check who runs `openclaw approvals serve`',
            ),
        ),
      );
    });
  }

  /** Whether an endpoint answers an authenticated ping (false instead of throwing). */
  async reachable(timeoutMs = 1_000): Promise<boolean> {
    try {
      await this.ping(timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  ping(timeoutMs?: number): Promise<PingAnswer> {
    return this.call<PingAnswer>({ action: 'ping' }, timeoutMs === undefined ? {} : { timeoutMs });
  }

  /** Asks for a decision: allow, deny, or pending_hitl with a token a human must approve. */
  async request(ask: ExecAsk, opts: { signal?: AbortSignal } = {}): Promise<ExecAnswer> {
    const answer = await this.call<ExecAnswer>({ action: 'local.exec', request: ask }, opts);
    if (answer.decision === 'pending_hitl' && answer.token) {
      if (this.asked.size > 1_000) this.asked.clear();
      this.asked.set(answer.token, ask);
    }
    return answer;
  }

  /**
   * Waits until a human answers `token`: retries the request with the token (long polls of up to
   * 25 s each) until it is allowed — the token is then consumed, this run may go ahead once —
   * denied, or `timeoutMs` passes. An endpoint restarting meanwhile is waited for.
   */
  async waitForDecision(token: string, opts: { timeoutMs: number; signal?: AbortSignal; request?: ExecAsk }): Promise<FinalAnswer> {
    const ask = opts.request ?? this.asked.get(token);
    if (!ask) throw new ApprovalsClientError('usage', 'waitForDecision needs the request the token was issued for (pass opts.request)');
    const deadline = Date.now() + opts.timeoutMs;
    let lastProblem: string | undefined;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (opts.signal?.aborted) throw new ApprovalsClientError('aborted', 'waiting for approval was aborted');
        if (left <= 0) {
          const message = `no answer within ${Math.round(opts.timeoutMs / 1000)} s${lastProblem ? ` (${lastProblem})` : ''}`;
          return { decision: 'timeout', reasons: [{ code: 'approval_timeout', message }], token };
        }
        const waitMs = Math.min(left, SERVER_MAX_WAIT_MS);
        const started = Date.now();
        let answer: ExecAnswer;
        try {
          answer = await this.call<ExecAnswer>(
            { action: 'local.exec', request: ask, approvalToken: token, waitMs },
            { timeoutMs: waitMs + this.ioTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) },
          );
        } catch (e) {
          if (!(e instanceof ApprovalsClientError) || e.code !== 'approvals_unreachable') throw e;
          lastProblem = e.reason;
          await sleep(Math.min(500, Math.max(0, deadline - Date.now())), opts.signal);
          continue;
        }
        lastProblem = undefined;
        if (answer.decision !== 'pending_hitl') return { decision: answer.decision, reasons: answer.reasons, token };
        // An endpoint that answered at once (it was asked not to wait long) is not polled in a busy loop.
        if (Date.now() - started < 50) await sleep(50, opts.signal);
      }
    } finally {
      this.asked.delete(token);
    }
  }

  approve(id: string, opts: { always?: boolean } = {}): Promise<OperatorAnswer> {
    return this.call<OperatorAnswer>({ action: 'local.exec.approve', id, scope: opts.always ? 'always' : 'once' });
  }

  deny(id: string, reason?: string): Promise<OperatorAnswer> {
    return this.call<OperatorAnswer>({ action: 'local.exec.deny', id, ...(reason ? { reason } : {}) });
  }

  revoke(id: string, reason?: string): Promise<OperatorAnswer> {
    return this.call<OperatorAnswer>({ action: 'local.exec.revoke', id, ...(reason ? { reason } : {}) });
  }

  /** Tokens waiting for a human (all recent ones with `all`); with waitMs, waits for the next change after `afterVersion`. */
  pending(opts: { all?: boolean; afterVersion?: number; epoch?: string; waitMs?: number; signal?: AbortSignal } = {}): Promise<PendingAnswer> {
    const { signal, ...body } = opts;
    return this.call<PendingAnswer>(
      { action: 'local.exec.pending', ...body },
      { timeoutMs: (opts.waitMs ?? 0) + this.ioTimeoutMs, ...(signal ? { signal } : {}) },
    );
  }
}

export function createApprovalsClient(opts: ApprovalsClientOptions): ApprovalsClient {
  return new ApprovalsClient(opts);
}
