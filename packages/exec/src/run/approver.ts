/**
 * Asking a human (SPEC §4/§5). `exec run` asks through a `HumanApprover` when policy says *ask*:
 * `endpointApprover` (the approvals endpoint) in the CLI; `unreachableApprover` reports that no human
 * can be asked, so an ask becomes what `askFallback` says — as when the endpoint is down.
 */
import type { Ask, Host, Reason, Security, SegmentReport } from '@openclaw/policy';

export interface ApprovalRequest {
  command: string;
  argv: string[] | null;
  agent: string | null;
  host: Host;
  cwd: string;
  /** Why policy asks. */
  reasons: Reason[];
  segments: SegmentReport[];
  /** The request's own settings and env, so the endpoint decides (and fingerprints) the same request. */
  security?: Security | undefined;
  ask?: Ask | undefined;
  env?: Record<string, string>;
}

export interface ApprovalAnswer {
  decision: 'allow' | 'deny';
  reasons: Reason[];
  /** The approval token the human answered, when there was one. */
  token?: string;
  via?: 'endpoint';
}

export interface AskHooks {
  /** The request is waiting for a human under `token` (recorded as approval.pending). */
  pending?: (token: string, expiresAt: number | undefined) => Promise<void>;
}

export interface HumanApprover {
  /** Whether a human can be asked right now (a cheap check, bounded in time). */
  reachable(): Promise<boolean>;
  /** Asks and waits for the answer; anything but an explicit allow is a deny. */
  ask(request: ApprovalRequest, hooks?: AskHooks): Promise<ApprovalAnswer>;
}

export const unreachableApprover: HumanApprover = {
  reachable: async () => false,
  ask: async () => ({
    decision: 'deny',
    reasons: [{ code: 'approver_unreachable', message: 'no approvals endpoint is connected to this exec plane' }],
  }),
};
