/**
 * Asking a human (SPEC §4/§5). `exec run` asks through a `HumanApprover` when policy says *ask*. The
 * approvals endpoint's client (@openclaw/approvals) implements this interface once it is wired in;
 * until then the default approver reports that no human is reachable, so an ask becomes what
 * `askFallback` says — the documented behaviour when the endpoint is down.
 */
import type { Reason, SegmentReport } from '@openclaw/policy';

export interface ApprovalRequest {
  command: string;
  argv: string[] | null;
  agent: string | null;
  host: string;
  cwd: string;
  /** Why policy asks. */
  reasons: Reason[];
  segments: SegmentReport[];
}

export interface ApprovalAnswer {
  decision: 'allow' | 'deny';
  reasons: Reason[];
}

export interface HumanApprover {
  /** Whether a human can be asked right now (a cheap check, bounded in time). */
  reachable(): Promise<boolean>;
  /** Asks and waits for the answer; anything but an explicit allow is a deny. */
  ask(request: ApprovalRequest): Promise<ApprovalAnswer>;
}

export const unreachableApprover: HumanApprover = {
  reachable: async () => false,
  ask: async () => ({
    decision: 'deny',
    reasons: [{ code: 'approver_unreachable', message: 'no approvals endpoint is connected to this exec plane' }],
  }),
};
