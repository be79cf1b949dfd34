/**
 * The approval-token state machine (SPEC §4), as pure functions over a record:
 *
 *   Pending → Approved   an operator approves (allow-once or allow-always)
 *   Pending → Revoked    an operator denies or revokes
 *   Pending → Expired    the TTL passes before anyone answers
 *   Approved → Consumed  the one retry that presents the token with the same context
 *   Approved → Revoked   an operator revokes
 *   Approved → Expired   the (short) post-approval TTL passes before the retry
 *
 * A token is bound to the request fingerprint (canonical argv, cwd, host, agent), the session id and
 * the sandbox id present when it was issued; a presentation with any other value is refused with the
 * reason and leaves the token as it is. State lives only on the server: the wire carries the id.
 */
import type { Reason } from '@openclaw/policy';

export type TokenState = 'pending' | 'approved' | 'consumed' | 'revoked' | 'expired';

export interface TokenBinding {
  fingerprint: string;
  agentId: string | null;
  sessionId: string | null;
  sandboxId: string | null;
}

/** What a human sees when asked (never used for authorisation: the binding is). */
export interface TokenRequestView {
  /** The command as the requester gave it (a string, or argv quoted). */
  command: string;
  cwd: string;
  host: string;
  segments: { argv: string[]; realPath: string | null; matchedPattern: string | null }[];
  reasons: Reason[];
}

export interface TokenResolution {
  action: 'approve' | 'deny' | 'revoke' | 'expire' | 'consume';
  at: number;
  scope?: 'once' | 'always';
  reason?: string;
}

export interface TokenRecord {
  id: string;
  /** Issue order, for `pending` listings and watchers that resume after the last one seen. */
  seq: number;
  state: TokenState;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  binding: TokenBinding;
  request: TokenRequestView;
  /** The last transition out of pending/approved. */
  resolution?: TokenResolution;
}

export type OperatorAction = 'approve' | 'deny' | 'revoke';

export type TransitionRefusal = { ok: false; code: 'token_unknown' | 'token_ambiguous' | 'token_not_pending' | 'token_not_active'; reason: string };
export type TransitionResult = { ok: true; record: TokenRecord } | TransitionRefusal;

export type ConsumeRefusalCode =
  | 'token_unknown'
  | 'token_pending'
  | 'token_denied'
  | 'token_revoked'
  | 'token_expired'
  | 'token_consumed'
  | 'token_fingerprint_mismatch'
  | 'token_context_mismatch';
export type ConsumeResult = { ok: true; record: TokenRecord } | { ok: false; code: ConsumeRefusalCode; reason: string; record?: TokenRecord };

export interface TokenTtls {
  /** How long a human has to answer. */
  pendingMs: number;
  /** How long an approved token waits for its retry. */
  approvedMs: number;
}

export const DEFAULT_TTLS: TokenTtls = { pendingMs: 300_000, approvedMs: 60_000 };

const isLive = (r: TokenRecord) => r.state === 'pending' || r.state === 'approved';

/** The record with its TTL applied: a live token past its expiry is Expired. */
export function withExpiry(r: TokenRecord, now: number): TokenRecord {
  if (isLive(r) && now >= r.expiresAt) return { ...r, state: 'expired', updatedAt: now, resolution: { action: 'expire', at: r.expiresAt } };
  return r;
}

export function applyOperatorAction(
  r: TokenRecord,
  action: OperatorAction,
  now: number,
  ttls: TokenTtls,
  opts: { scope?: 'once' | 'always'; reason?: string } = {},
): TransitionResult {
  const cur = withExpiry(r, now);
  const at = { at: now, ...(opts.reason ? { reason: opts.reason } : {}) };
  if (action === 'approve' || action === 'deny') {
    if (cur.state !== 'pending') return { ok: false, code: 'token_not_pending', reason: `token ${r.id} is ${describeState(cur)}, not pending` };
    if (action === 'approve')
      return {
        ok: true,
        record: { ...cur, state: 'approved', updatedAt: now, expiresAt: now + ttls.approvedMs, resolution: { action, scope: opts.scope ?? 'once', ...at } },
      };
    return { ok: true, record: { ...cur, state: 'revoked', updatedAt: now, resolution: { action, ...at } } };
  }
  if (!isLive(cur)) return { ok: false, code: 'token_not_active', reason: `token ${r.id} is ${describeState(cur)}: nothing to revoke` };
  return { ok: true, record: { ...cur, state: 'revoked', updatedAt: now, resolution: { action, ...at } } };
}

/**
 * A retry presenting the token. Binding first (a mismatch says so whatever the state), then state:
 * only an Approved, unexpired token is consumed.
 */
export function applyConsume(r: TokenRecord, presented: TokenBinding, now: number): ConsumeResult {
  const b = r.binding;
  if (b.agentId !== presented.agentId)
    return {
      ok: false,
      code: 'token_context_mismatch',
      reason: `token ${r.id} was issued to agent ${b.agentId ?? '(none)'}, not ${presented.agentId ?? '(none)'}`,
    };
  if (b.sessionId !== presented.sessionId)
    return {
      ok: false,
      code: 'token_context_mismatch',
      reason: `token ${r.id} was issued to session ${b.sessionId ?? '(none)'}, not ${presented.sessionId ?? '(none)'}`,
    };
  if (b.sandboxId !== presented.sandboxId)
    return {
      ok: false,
      code: 'token_context_mismatch',
      reason: `token ${r.id} was issued to sandbox ${b.sandboxId ?? '(none)'}, not ${presented.sandboxId ?? '(none)'}`,
    };
  if (b.fingerprint !== presented.fingerprint)
    return {
      ok: false,
      code: 'token_fingerprint_mismatch',
      reason: `token ${r.id} was issued for another command, working directory or host (it approved \`${r.request.command.slice(0, 200)}\` in ${r.request.cwd})`,
    };
  const cur = withExpiry(r, now);
  switch (cur.state) {
    case 'approved':
      return {
        ok: true,
        record: {
          ...cur,
          state: 'consumed',
          updatedAt: now,
          resolution: { action: 'consume', at: now, ...(cur.resolution?.scope ? { scope: cur.resolution.scope } : {}) },
        },
      };
    case 'pending':
      return { ok: false, code: 'token_pending', reason: `token ${r.id} is waiting for a human`, record: cur };
    case 'consumed':
      return { ok: false, code: 'token_consumed', reason: `token ${r.id} was already used: an approval allows one run`, record: cur };
    case 'expired':
      return { ok: false, code: 'token_expired', reason: `token ${r.id} expired before it was ${r.state === 'approved' ? 'used' : 'answered'}`, record: cur };
    default:
      return cur.resolution?.action === 'deny'
        ? {
            ok: false,
            code: 'token_denied',
            reason: `a human denied this request (token ${r.id})${cur.resolution.reason ? `: ${cur.resolution.reason}` : ''}`,
            record: cur,
          }
        : { ok: false, code: 'token_revoked', reason: `token ${r.id} was revoked${cur.resolution?.reason ? `: ${cur.resolution.reason}` : ''}`, record: cur };
  }
}

export function describeState(r: TokenRecord): string {
  if (r.state === 'revoked' && r.resolution?.action === 'deny') return 'denied';
  return r.state;
}
