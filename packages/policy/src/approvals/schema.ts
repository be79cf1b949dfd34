/**
 * The exec-approvals file, version 1 — the shape OpenClaw uses, so users carry theirs over:
 * `{version: 1, socket: {path, token}, defaults: {security, ask, askFallback}, agents: {<id>|"*":
 * {security, ask, askFallback, allowlist: [{id, pattern, lastUsedAt, lastUsedCommand,
 * lastResolvedPath}]}}}`. Objects are loose: fields this version does not know survive a round trip.
 */
import * as z from 'zod';
import { Ask, Security } from '../config/schema.js';

export const AllowlistEntry = z.looseObject({
  id: z.string().optional(),
  pattern: z.string(),
  lastUsedAt: z.number().optional(),
  lastUsedCommand: z.string().optional(),
  lastResolvedPath: z.string().optional(),
});

const Modes = {
  security: Security.optional(),
  ask: Ask.optional(),
  askFallback: Security.optional(),
};

export const ApprovalsAgent = z.looseObject({ ...Modes, allowlist: z.array(AllowlistEntry).optional() });

export const ApprovalsFile = z.looseObject({
  version: z.literal(1),
  socket: z.looseObject({ path: z.string().optional(), token: z.string().optional() }).optional(),
  defaults: z.looseObject(Modes).optional(),
  agents: z.record(z.string(), ApprovalsAgent).optional(),
});

export type AllowlistEntry = z.infer<typeof AllowlistEntry>;
export type ApprovalsAgent = z.infer<typeof ApprovalsAgent>;
export type ApprovalsFile = z.infer<typeof ApprovalsFile>;
