/**
 * agent_task (SPEC §5): a loop with an OpenAI-compatible model. Each step sends the conversation and
 * the tools; each tool call the model makes is counted against the job's budget (`max_tool_calls`:
 * the call over the limit is refused and the job fails with budget_exceeded), judged and run by
 * `tools.ts`, its output counted against the output budget, and recorded in the ledger as
 * `agent.tool_call` {step, tool, arguments (clipped), status, code}. Each model answer is recorded as
 * `agent.model`. The job ends when the model answers without tool calls (completed), or fails at
 * `max_steps`, at a budget, or when the model cannot be reached. The runtime budget is the worker's
 * abort signal, which also cancels a request in flight.
 *
 * Artifacts: `transcript.json` (the conversation) and `answer.md` (the final answer).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BudgetExceeded } from '../jobs/budget.js';
import type { JobHandler } from '../jobs/handler.js';
import { listMcpTools, type McpTool } from './mcporter.js';
import { type ChatMessage, ModelClient, ModelError, modelSettings } from './model-client.js';
import { BUILTIN_TOOLS, executeTool, mcpToolDefinitions } from './tools.js';

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n)}…`);

export const runAgent: JobHandler = async (ctx) => {
  const rt = ctx.runtime;
  const prompt = String(ctx.validated.params.prompt ?? '');
  const maxSteps = Number(ctx.validated.params.max_steps ?? 20);
  const workspace = rt.agentWorkspace ?? ctx.artifactDir;
  mkdirSync(workspace, { recursive: true });
  const client = new ModelClient(rt.model ?? modelSettings(undefined, {}, async () => null));

  let mcpTools: McpTool[] = [];
  const warnings: string[] = [];
  if (rt.mcp && rt.mcp.allowTools.length > 0) {
    const listing = await listMcpTools(rt.mcp);
    if (listing.available) {
      mcpTools = listing.tools;
      for (const e of listing.errors) warnings.push(`mcp server ${e.server}: ${e.error}`);
    } else warnings.push(`mcp tools unavailable: ${listing.blocked_by} (${listing.detail})`);
    await ctx.record(
      'agent.mcp',
      listing.available ? { available: true, tools: mcpTools.map((t) => `${t.server}.${t.name}`), errors: listing.errors } : { ...listing },
    );
  }
  const tools = [...BUILTIN_TOOLS, ...mcpToolDefinitions(mcpTools)];
  const messages: ChatMessage[] = [
    {
      role: 'system',
      content: `You are an agent working in ${workspace}. Use the tools to inspect files and run commands there; every call is checked against a policy and counted against a budget of ${ctx.budget.limits.maxToolCalls} tool calls. Answer without a tool call when you are done.`,
    },
    { role: 'user', content: prompt },
  ];
  const save = (answer: string | null) => {
    writeFileSync(
      join(ctx.artifactDir, 'transcript.json'),
      `${JSON.stringify({ model: client.stub ? 'stub' : 'endpoint', tools: tools.map((t) => t.function.name), messages }, null, 1)}\n`,
    );
    if (answer !== null) writeFileSync(join(ctx.artifactDir, 'answer.md'), `${answer}\n`);
  };
  const outputs = ['transcript.json'];
  let calls = 0;
  const refusals: Record<string, number> = {};

  try {
    for (let step = 1; step <= maxSteps; step++) {
      let answer: Awaited<ReturnType<ModelClient['chat']>>;
      try {
        answer = await client.chat(messages, tools, ctx.signal);
      } catch (e) {
        if (!(e instanceof ModelError)) throw e;
        await ctx.record('agent.model', { step, error: e.code, message: e.message });
        save(null);
        return { state: 'failed', error: `${e.code}: ${e.message}`, result: { code: e.code, steps: step - 1, tool_calls: calls }, outputs, warnings };
      }
      const toolCalls = answer.message.tool_calls ?? [];
      await ctx.record('agent.model', {
        step,
        model: answer.model,
        finish_reason: answer.finish_reason,
        tool_calls: toolCalls.map((c) => c.function.name),
        content_chars: answer.message.content?.length ?? 0,
      });
      messages.push(answer.message);
      if (toolCalls.length === 0) {
        const final = answer.message.content ?? '';
        ctx.budget.output(final.length);
        save(final);
        return {
          state: 'completed',
          result: { steps: step, tool_calls: calls, refusals, stub: client.stub, answer: clip(final, 500) },
          outputs: [...outputs, 'answer.md'],
          warnings,
        };
      }
      for (const call of toolCalls) {
        const name = call.function.name;
        const base = { step, call_id: call.id, tool: name, arguments: clip(call.function.arguments ?? '', 500) };
        try {
          ctx.budget.toolCall();
        } catch (e) {
          if (e instanceof BudgetExceeded) {
            await ctx.record('agent.tool_call', { ...base, status: 'refused', code: 'budget_exceeded', used: e.used, limit: e.limit });
            save(null);
          }
          throw e;
        }
        calls++;
        let args: Record<string, unknown> | null = null;
        try {
          const parsed = JSON.parse(call.function.arguments || '{}');
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) args = parsed as Record<string, unknown>;
        } catch {}
        const outcome = args
          ? await executeTool(ctx, workspace, mcpTools, name, args)
          : { status: 'refused' as const, code: 'bad_arguments', content: 'refused (bad_arguments): the arguments are not a JSON object' };
        if (outcome.status === 'refused') refusals[outcome.code ?? 'refused'] = (refusals[outcome.code ?? 'refused'] ?? 0) + 1;
        const content = clip(outcome.content, Math.max(1000, Math.min(32_000, ctx.budget.outputLeft())));
        await ctx.record('agent.tool_call', {
          ...base,
          status: outcome.status,
          ...(outcome.code ? { code: outcome.code } : {}),
          output_chars: content.length,
          ...(outcome.detail ? { detail: outcome.detail } : {}),
        });
        ctx.budget.output(content.length);
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
  } catch (e) {
    if (e instanceof BudgetExceeded) save(null);
    throw e;
  }
  save(null);
  return {
    state: 'failed',
    error: `max_steps_exceeded: the model was still calling tools after ${maxSteps} steps`,
    result: { code: 'max_steps_exceeded', steps: maxSteps, tool_calls: calls, refusals },
    outputs,
    warnings,
  };
};
