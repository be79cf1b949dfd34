/**
 * The approvals endpoint as `exec run`'s human (SPEC §4/§5): reachable when an authenticated ping
 * answers within a bounded time; asking sends the request (`local.exec`), and a `pending_hitl`
 * answer is waited on until a human approves or denies it, or the token expires. Only an explicit
 * allow runs the command; a timeout, an error or an endpoint that disappears is a deny.
 */
import { type ApprovalsClient, connectApprovals } from '@openclaw/approvals';
import type { ApprovalAnswer, ApprovalRequest, HumanApprover } from './approver.js';

export interface EndpointApproverOptions {
  /** How to reach the endpoint (default: located like the approvals commands do). */
  connect?: () => Promise<ApprovalsClient>;
  configFile?: string | undefined;
  approvalsFile?: string | undefined;
  /** Bound on the reachability ping. */
  pingMs?: number;
  /** How long to wait for a human (default: the pending token's 300 s). */
  waitMs?: number;
}

export function endpointApprover(opts: EndpointApproverOptions = {}): HumanApprover {
  let client: Promise<ApprovalsClient> | undefined;
  const get = () => {
    client ??= opts.connect ? opts.connect() : connectApprovals({ configFile: opts.configFile, approvalsFile: opts.approvalsFile }).then((c) => c.client);
    return client;
  };
  return {
    async reachable() {
      try {
        return await (await get()).reachable(opts.pingMs ?? 1000);
      } catch {
        // No socket token yet (the endpoint never started), an unreadable file: nobody to ask.
        return false;
      }
    },
    async ask(req: ApprovalRequest, hooks?: { pending?: (token: string, expiresAt: number | undefined) => Promise<void> }): Promise<ApprovalAnswer> {
      const c = await get();
      const ask = {
        ...(req.argv ? { argv: req.argv } : { command: req.command }),
        cwd: req.cwd,
        host: req.host,
        ...(req.security ? { security: req.security } : {}),
        ...(req.ask ? { ask: req.ask } : {}),
        agentId: req.agent,
        ...(req.env && Object.keys(req.env).length ? { env: req.env } : {}),
      };
      const first = await c.request(ask);
      if (first.decision === 'allow') return { decision: 'allow', reasons: first.reasons, via: 'endpoint' };
      if (first.decision === 'deny') return { decision: 'deny', reasons: first.reasons, via: 'endpoint' };
      if (!first.token)
        return { decision: 'deny', reasons: [{ code: 'approval_protocol', message: 'the endpoint answered pending_hitl without a token' }], via: 'endpoint' };
      await hooks?.pending?.(first.token, first.expiresAt);
      const waitMs = opts.waitMs ?? Math.max(1000, (first.expiresAt ?? Date.now() + 300_000) - Date.now());
      const final = await c.waitForDecision(first.token, { timeoutMs: waitMs, request: ask });
      return { decision: final.decision === 'allow' ? 'allow' : 'deny', reasons: final.reasons, token: first.token, via: 'endpoint' };
    },
  };
}
