/**
 * The reviewer: one request per packet to an OpenAI-compatible chat-completions endpoint
 * (`OPENCLAW_MODEL_API_BASE`, default http://127.0.0.1:8001/v1). The key comes from the environment
 * (OPENCLAW_MODEL_API_KEY, else OPENAI_API_KEY), goes only into the Authorization header and is
 * never printed. A reply that is not a verdict is an error, never an approval.
 */
import { OpenclawError } from '@openclaw/policy/errors';
import * as z from 'zod';
import { Blocker } from './verdict.js';

export const DEFAULT_API_BASE = 'http://127.0.0.1:8001/v1';

export const ModelReply = z.object({
  verdict: z.enum(['APPROVED', 'BLOCKED']),
  blockers: z.array(Blocker.omit({ packet: true }).loose()).default([]),
  notes: z.array(z.string()).optional(),
});
export type ModelReply = z.infer<typeof ModelReply>;

export interface ModelEndpoint {
  apiBase: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

export function endpointFromEnv(
  env: NodeJS.ProcessEnv,
  flags: { apiBase?: string | undefined; model?: string | undefined; timeoutSec?: number | undefined },
): ModelEndpoint {
  const apiKey = env.OPENCLAW_MODEL_API_KEY || env.OPENAI_API_KEY;
  return {
    apiBase: (flags.apiBase ?? env.OPENCLAW_MODEL_API_BASE ?? DEFAULT_API_BASE).replace(/\/+$/, ''),
    model: flags.model ?? env.OPENCLAW_REVIEW_MODEL ?? env.OPENCLAW_MODEL ?? 'default',
    ...(apiKey ? { apiKey } : {}),
    timeoutMs: (flags.timeoutSec ?? 300) * 1000,
  };
}

const SYSTEM_PROMPT = `You are a strict code reviewer. You receive one change as a git patch, possibly cut into several packets.
Review only what you are given. Block on bugs, security problems, data loss, missing error handling and
changes that do not do what they claim. Reply with one JSON object and nothing else:
{"verdict": "APPROVED" | "BLOCKED", "blockers": [{"message": "...", "path": "file", "line": 12}], "notes": ["..."]}
"APPROVED" requires an empty "blockers" list.`;

export function packetPrompt(i: number, n: number, since: string, to: string, text: string): string {
  return `Range ${since}..${to}, packet ${i} of ${n}.\n\n${text}`;
}

/** Asks the model about one packet; returns its reply and the model version the endpoint reported. */
export async function reviewPacket(ep: ModelEndpoint, prompt: string): Promise<{ reply: ModelReply; modelVersion: string }> {
  const url = `${ep.apiBase}/chat/completions`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {}) },
      body: JSON.stringify({
        model: ep.model,
        temperature: 0,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: prompt },
        ],
      }),
      signal: AbortSignal.timeout(ep.timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new OpenclawError({
      code: 'model_unreachable',
      reason: `the review model at ${ep.apiBase} did not answer (${cause})`,
      hint: 'start the model server, or point OPENCLAW_MODEL_API_BASE (or --api-base) at one; --simulate writes a simulated verdict the push gate refuses',
    });
  }
  const body = await res.text();
  if (!res.ok) {
    throw new OpenclawError({
      code: 'model_error',
      reason: `the review model at ${ep.apiBase} answered HTTP ${res.status}: ${body.slice(0, 200).replace(/\s+/g, ' ')}`,
      hint:
        res.status === 401 || res.status === 403
          ? 'set OPENCLAW_MODEL_API_KEY (or OPENAI_API_KEY) to a valid key'
          : 'check the model name (--model) and the server logs',
    });
  }
  let content: unknown;
  let modelVersion = '';
  try {
    const json = JSON.parse(body) as { model?: unknown; choices?: { message?: { content?: unknown } }[] };
    content = json.choices?.[0]?.message?.content;
    if (typeof json.model === 'string') modelVersion = json.model;
  } catch {
    content = undefined;
  }
  const reply = typeof content === 'string' ? parseReply(content) : undefined;
  if (!reply) {
    throw new OpenclawError({
      code: 'model_reply_invalid',
      reason: `the review model's reply is not a verdict (expected {"verdict": "APPROVED"|"BLOCKED", "blockers": [...]}): ${String(content ?? body).slice(0, 200)}`,
      hint: 'no verdict was written; try another model (--model) or rerun',
    });
  }
  return { reply, modelVersion };
}

/** The JSON object in a reply, also when the model wrapped it in a code fence or prose. */
export function parseReply(content: string): ModelReply | undefined {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  if (start === -1 || end < start) return undefined;
  try {
    const r = ModelReply.safeParse(JSON.parse(content.slice(start, end + 1)));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
