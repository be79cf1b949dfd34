/**
 * The endpoint's request bodies (validated by the server with these schemas) and answer shapes.
 * Actions: `ping`, `local.exec` (decide; an ask becomes `pending_hitl` with a token; a retry with an
 * approved token is consumed), `local.exec.approve|deny|revoke` (an operator answers a token) and
 * `local.exec.pending` (what waits for a human). Clients import only the types.
 */
import type { Reason } from '@openclaw/policy';
import * as z from 'zod';
import type { TokenRecord } from '../tokens/machine.js';

const HOSTS = ['sandbox', 'gateway', 'node'] as const;
const SECURITY = ['deny', 'allowlist', 'full'] as const;
const ASK = ['off', 'on-miss', 'always'] as const;

const TokenId = z.string().min(1).max(128);
const ContextId = z.string().min(1).max(256);
const WaitMs = z.number().int().min(0).max(30_000);

export const ExecRequest = z
  .strictObject({
    argv: z.array(z.string().max(65_536)).min(1).max(4_096).optional(),
    command: z.string().max(65_536).optional(),
    cwd: z.string().min(1).max(4_096).startsWith('/'),
    host: z.enum(HOSTS).optional(),
    security: z.enum(SECURITY).optional(),
    ask: z.enum(ASK).optional(),
    agentId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .nullable()
      .optional(),
    sessionId: ContextId.nullable().optional(),
    sandboxId: ContextId.nullable().optional(),
    env: z.record(z.string().max(256), z.string().max(65_536)).optional(),
  })
  .refine((r) => (r.argv === undefined) !== (r.command === undefined), 'give exactly one of argv or command');

export const RequestBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('ping') }),
  z.strictObject({ action: z.literal('local.exec'), request: ExecRequest, approvalToken: TokenId.optional(), waitMs: WaitMs.optional() }),
  z.strictObject({ action: z.literal('local.exec.approve'), id: TokenId, scope: z.enum(['once', 'always']).optional() }),
  z.strictObject({ action: z.literal('local.exec.deny'), id: TokenId, reason: z.string().max(1_000).optional() }),
  z.strictObject({ action: z.literal('local.exec.revoke'), id: TokenId, reason: z.string().max(1_000).optional() }),
  z.strictObject({
    action: z.literal('local.exec.pending'),
    all: z.boolean().optional(),
    afterVersion: z.number().int().min(0).optional(),
    epoch: z.string().max(64).optional(),
    waitMs: WaitMs.optional(),
  }),
]);

/**
 * RequestBody compiled once (z.compile: zod generates a validator from the same schema, with the
 * same results and the same issues; a body it does not accept is handed to the runtime parser for
 * them). The endpoint validates with it: about a tenth of the runtime parser's time per request.
 */
export const compiledRequestBody = z.compile(RequestBody);

export type ExecRequest = z.infer<typeof ExecRequest>;
export type RequestBody = z.infer<typeof RequestBody>;

/** The answer to `local.exec`. */
export interface ExecAnswer {
  decision: 'allow' | 'deny' | 'pending_hitl';
  reasons: Reason[];
  /** With pending_hitl: the approval token to retry with (also its id for `approvals approve`). */
  token?: string;
  /** With pending_hitl: when the token expires (ms since the epoch). */
  expiresAt?: number;
  host?: string;
  security?: string;
  ask?: string;
  segments?: { argv: string[]; realPath: string | null; matchedPattern: string | null }[];
}

/** The answer to approve / deny / revoke (a refused transition is an ErrorAnswer: the client throws it). */
export interface OperatorAnswer {
  ok: true;
  token: TokenRecord;
  /** allow-always: the canonical paths added to the agent's allowlist. */
  allowlisted?: string[];
  /** What a human should know: paths not added (shells, interpreters, unresolved), shared-list additions. */
  warnings?: string[];
}

/** The answer to `local.exec.pending`. */
export interface PendingAnswer {
  tokens: TokenRecord[];
  /** Increases with every token change; pass it back as afterVersion to wait for the next one. */
  version: number;
  /** Identifies this server run: versions restart with it. */
  epoch: string;
}

export interface PingAnswer {
  ok: true;
  server: 'openclaw-approvals';
  version: 1;
  pid: number;
}

/** Any answer may instead be an error (invalid body, internal failure). */
export interface ErrorAnswer {
  error: { code: string; reason: string; hint?: string };
}
