/**
 * The tools an agent_task model may call. Each call is judged before anything happens:
 *   - read_file / list_dir: the path must resolve (symlinks followed) inside the agent's workspace
 *     (`resolveInsideRoot`, the policy's path sandbox);
 *   - run_command: decided by the policy core like `exec run` with no human reachable (an ask is
 *     what askFallback says), then run by the runner — inside the sandbox unless the decision's host
 *     is gateway; host node is refused;
 *   - mcp__<server>__<tool>: only the MCP tools `exec.mcp.allowTools` names, through mcporter;
 *   - anything else is an unknown tool.
 * A refusal is an answer to the model (it may try something else), not a crash.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { resolveInsideRoot } from '@openclaw/policy';
import type { JobContext } from '../jobs/handler.js';
import { commandsFromDecision } from '../run/plan.js';
import { callMcpTool, type McpTool, mcpFunctionName } from './mcporter.js';
import type { ToolDefinition } from './model-client.js';

export interface ToolOutcome {
  status: 'ok' | 'refused' | 'error';
  code?: string;
  /** What the model is told. */
  content: string;
  /** Kept for the ledger (small). */
  detail?: Record<string, unknown>;
}

const MAX_FILE_CHARS = 64_000;
const MAX_ENTRIES = 1000;

export const BUILTIN_TOOLS: ToolDefinition[] = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a text file inside the workspace (paths are relative to it).',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
    },
  },
  {
    type: 'function',
    function: {
      name: 'list_dir',
      description: 'List a directory inside the workspace (paths are relative to it; "." is the workspace).',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
    },
  },
  {
    type: 'function',
    function: {
      name: 'run_command',
      description: 'Run a command in the workspace under the policy (argv, or a command string of plain commands joined by && || ; |). No network.',
      parameters: {
        type: 'object',
        properties: { command: { type: 'string' }, argv: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    },
  },
];

export function mcpToolDefinitions(tools: McpTool[]): ToolDefinition[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: mcpFunctionName(t.server, t.name), description: `[MCP ${t.server}] ${t.description}`.slice(0, 1000), parameters: t.inputSchema },
  }));
}

const refused = (code: string, content: string, detail?: Record<string, unknown>): ToolOutcome => ({
  status: 'refused',
  code,
  content: `refused (${code}): ${content}`,
  ...(detail ? { detail } : {}),
});

export async function executeTool(ctx: JobContext, workspace: string, mcpTools: McpTool[], name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  if (name === 'read_file' || name === 'list_dir') {
    const path = args.path;
    if (typeof path !== 'string') return refused('bad_arguments', 'path must be a string');
    const where = resolveInsideRoot(workspace, path);
    if (!where.ok) return refused(where.code, where.reason, { path });
    try {
      if (name === 'read_file') {
        const st = statSync(where.path);
        if (!st.isFile()) return { status: 'error', code: 'not_a_file', content: `${path} is not a file` };
        const text = readFileSync(where.path, 'utf8');
        const cut = text.length > MAX_FILE_CHARS;
        return {
          status: 'ok',
          content: cut ? `${text.slice(0, MAX_FILE_CHARS)}\n… (truncated at ${MAX_FILE_CHARS} characters)` : text,
          detail: { path, bytes: st.size },
        };
      }
      const entries = readdirSync(where.path, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .slice(0, MAX_ENTRIES)
        .map((e) => `${e.name}${e.isDirectory() ? '/' : e.isSymbolicLink() ? '@' : ''}`);
      return { status: 'ok', content: entries.join('\n'), detail: { path: relative(workspace, where.path) || '.', entries: entries.length } };
    } catch (e) {
      return { status: 'error', code: (e as NodeJS.ErrnoException).code ?? 'io_error', content: (e as Error).message };
    }
  }

  if (name === 'run_command') {
    const policy = ctx.runtime.policy;
    if (!policy) return refused('no_policy', 'this worker has no policy to decide commands with');
    const command = typeof args.command === 'string' ? args.command : undefined;
    const argv = Array.isArray(args.argv) && args.argv.every((a) => typeof a === 'string') ? (args.argv as string[]) : undefined;
    if ((command === undefined) === (argv === undefined)) return refused('bad_arguments', 'give exactly one of command (string) or argv (array of strings)');
    const decision = policy.decide({
      ...(command !== undefined ? { command } : { argv: argv as string[] }),
      cwd: workspace,
      agentId: 'agent_task',
      env: {},
      humanReachable: false,
    });
    const reasons = decision.reasons.map((r) => r.code);
    if (decision.decision !== 'allow') return refused('policy_denied', decision.reasons.map((r) => r.message).join('; '), { host: decision.host, reasons });
    if (decision.host === 'node') return refused('node_host_unsupported', 'host node has no transport in this exec plane', { reasons });
    let commands: ReturnType<typeof commandsFromDecision>;
    try {
      commands = commandsFromDecision(decision, { command, cwd: workspace });
    } catch (e) {
      return refused('nothing_to_run', (e as Error).message);
    }
    const run = await ctx.runCommands(commands, { cwd: workspace, host: decision.host === 'gateway' ? 'gateway' : 'sandbox', workspace });
    const out = run.evidence.map((e) => `${e.stdout}${e.stderr ? `${e.stderr}` : ''}${e.error ? `[${e.error}]\n` : ''}`).join('');
    return {
      status: run.exitCode === 0 ? 'ok' : 'error',
      ...(run.exitCode === 0 ? {} : { code: run.timedOut ? 'timed_out' : `exit_${run.exitCode}` }),
      content: `exit ${run.exitCode}${run.timedOut ? ' (timed out)' : ''}\n${out}`,
      detail: { host: decision.host, exit_code: run.exitCode, reasons },
    };
  }

  if (name.startsWith('mcp__')) {
    const tool = mcpTools.find((t) => mcpFunctionName(t.server, t.name) === name);
    if (!tool || !ctx.runtime.mcp) return refused('mcp_tool_not_allowed', `${name} is not an allowlisted MCP tool (exec.mcp.allowTools)`);
    const r = await callMcpTool(ctx.runtime.mcp, tool.server, tool.name, args);
    if (!r.ok)
      return {
        status: r.error_code === 'mcp_tool_not_allowed' ? 'refused' : 'error',
        code: r.error_code,
        content: r.error,
        detail: { server: tool.server, tool: tool.name },
      };
    return { status: 'ok', content: r.output, detail: { server: tool.server, tool: tool.name } };
  }

  return refused('unknown_tool', `there is no tool ${name}`);
}
