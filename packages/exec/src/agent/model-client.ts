/**
 * An OpenAI-compatible chat-completions client (SPEC §5 agent_task): `POST {base}/chat/completions`
 * with the conversation and the tool definitions; the answer's `tool_calls` drive the agent loop.
 * The base URL comes from `OPENCLAW_MODEL_API_BASE`, else `exec.model.apiBase`, else
 * http://127.0.0.1:8001/v1; the API key from the secrets store (`exec.model.apiKeySecret`, default
 * `openai`) and is only ever put in the Authorization header. Stub mode (`OPENCLAW_MODEL_STUB=1`)
 * answers locally with no tool calls.
 */
import { modelSettings as envModelSettings } from '../ops/model-probe.js';

export interface ModelSettings {
  base: string;
  /** The model name sent (null: the first the endpoint lists under /models, else "default"). */
  model: string | null;
  stub: boolean;
  /** Per request. */
  timeoutMs: number;
  /** The API key, looked up when first needed (null: send none). */
  apiKey: () => Promise<string | null>;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ChatAnswer {
  message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] };
  finish_reason: string | null;
  model: string;
}

export class ModelError extends Error {
  constructor(
    readonly code: 'model_unreachable' | 'model_http_error' | 'model_bad_answer' | 'model_timeout',
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export function modelSettings(
  config: { apiBase?: string | undefined; model?: string | undefined } | undefined,
  env: NodeJS.ProcessEnv,
  apiKey: () => Promise<string | null>,
): ModelSettings {
  const { base, stub } = envModelSettings(env, config?.apiBase);
  return { base, model: env.OPENCLAW_MODEL ?? config?.model ?? null, stub, timeoutMs: 120_000, apiKey };
}

export class ModelClient {
  private model: string | null;

  constructor(private readonly settings: ModelSettings) {
    this.model = settings.model;
  }

  get stub(): boolean {
    return this.settings.stub;
  }

  private async headers(): Promise<Record<string, string>> {
    const key = await this.settings.apiKey();
    return { 'content-type': 'application/json', accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  }

  private async modelName(signal?: AbortSignal): Promise<string> {
    if (this.model) return this.model;
    try {
      const res = await fetch(`${this.settings.base}/models`, {
        headers: await this.headers(),
        signal: AbortSignal.any([AbortSignal.timeout(5000), ...(signal ? [signal] : [])]),
      });
      const body = (await res.json().catch(() => null)) as { data?: { id?: string }[] } | null;
      this.model = (res.ok && body?.data?.find((m) => typeof m.id === 'string')?.id) || 'default';
    } catch {
      this.model = 'default';
    }
    return this.model;
  }

  async chat(messages: ChatMessage[], tools: ToolDefinition[], signal?: AbortSignal): Promise<ChatAnswer> {
    if (this.settings.stub)
      return { message: { role: 'assistant', content: 'stub mode: no model was asked, so no tool is called.' }, finish_reason: 'stop', model: 'stub' };
    const model = await this.modelName(signal);
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.settings.base}/chat/completions`, {
        method: 'POST',
        headers: await this.headers(),
        body: JSON.stringify({ model, messages, ...(tools.length ? { tools, tool_choice: 'auto' } : {}) }),
        signal: AbortSignal.any([timeout, ...(signal ? [signal] : [])]),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (timeout.aborted) throw new ModelError('model_timeout', `the model did not answer within ${this.settings.timeoutMs} ms`);
      throw new ModelError('model_unreachable', `cannot reach ${this.settings.base}: ${err.cause?.code ?? err.message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new ModelError('model_http_error', `${this.settings.base}/chat/completions answered HTTP ${res.status}: ${text.slice(0, 300)}`);
    let body: { choices?: { message?: ChatAnswer['message']; finish_reason?: string }[]; model?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new ModelError('model_bad_answer', `the model's answer is not JSON: ${text.slice(0, 200)}`);
    }
    const choice = body.choices?.[0];
    if (choice?.message?.role !== 'assistant') throw new ModelError('model_bad_answer', 'the answer has no assistant message in choices[0]');
    const calls = choice.message.tool_calls;
    if (calls !== undefined && (!Array.isArray(calls) || calls.some((c) => typeof c?.id !== 'string' || typeof c?.function?.name !== 'string')))
      throw new ModelError('model_bad_answer', 'the answer has malformed tool_calls');
    return {
      message: { role: 'assistant', content: choice.message.content ?? null, ...(calls?.length ? { tool_calls: calls } : {}) },
      finish_reason: choice.finish_reason ?? null,
      model: body.model ?? model,
    };
  }
}
