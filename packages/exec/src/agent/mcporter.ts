/**
 * The MCPorter adapter (SPEC §5): MCP tools listed and called through the `mcporter` CLI
 * (`mcporter --config FILE list SERVER --json --schema`, `mcporter --config FILE call SERVER.TOOL
 * --args JSON --output json`), never a library import, so what runs is what a user can run by hand.
 *
 * Deny by default: only tools named in `exec.mcp.allowTools` (`server.tool`, or `server.*` for every
 * tool of a server) are offered to the model or called; anything else is refused before mcporter
 * runs. Arguments travel as one JSON argv element (never through a shell); mcporter runs on the host
 * with a minimal env (PATH, HOME, LANG) and a bounded time. When the binary is missing the adapter
 * says so in the structured form the SPEC fixes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface McpSettings {
  /** The mcporter executable (absolute), or null when it was not found. */
  binary: string | null;
  /** mcporter config file (its `mcpServers`). */
  config: string | null;
  /** `server.tool` or `server.*`. */
  allowTools: string[];
  home: string;
  timeoutMs?: number;
}

export interface McpTool {
  server: string;
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export type McpListing =
  | { available: true; tools: McpTool[]; errors: { server: string; error: string }[] }
  | {
      available: false;
      blocked_by: 'mcporter_not_installed' | 'mcp_not_configured';
      error_code: 'mcporter_missing' | 'mcp_config_missing';
      tools: [];
      detail: string;
    };

export type McpCallResult = { ok: true; output: string } | { ok: false; error_code: string; error: string };

/** Whether `server.tool` is allowlisted. */
export function mcpToolAllowed(allow: readonly string[], server: string, tool: string): boolean {
  return allow.includes(`${server}.${tool}`) || allow.includes(`${server}.*`);
}

/** The OpenAI function name of an MCP tool (names must match ^[A-Za-z0-9_-]+$). */
export const mcpFunctionName = (server: string, tool: string) => `mcp__${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_');

function run(s: McpSettings, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(
      s.binary as string,
      [...(s.config ? ['--config', s.config] : []), ...args],
      {
        env: { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: s.home, LANG: 'C.UTF-8', NO_COLOR: '1' },
        timeout: s.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: string | number; killed?: boolean }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          stdout,
          stderr,
          ...(e ? { error: e.killed ? 'timed out' : String(e.code ?? e.message) } : {}),
        });
      },
    );
  });
}

function missing(s: McpSettings): McpListing | null {
  if (!s.binary || !existsSync(s.binary))
    return {
      available: false,
      blocked_by: 'mcporter_not_installed',
      error_code: 'mcporter_missing',
      tools: [],
      detail: `mcporter is not installed${s.binary ? ` (${s.binary} does not exist)` : ' (not on the policy PATH)'}: npm install -g mcporter, or set exec.mcp.binary`,
    };
  if (!s.config || !existsSync(s.config))
    return {
      available: false,
      blocked_by: 'mcp_not_configured',
      error_code: 'mcp_config_missing',
      tools: [],
      detail: `no mcporter config${s.config ? ` at ${s.config}` : ''}: set exec.mcp.config`,
    };
  return null;
}

/** The allowlisted tools of the servers the allowlist names. */
export async function listMcpTools(s: McpSettings): Promise<McpListing> {
  const blocked = missing(s);
  if (blocked) return blocked;
  const servers = [...new Set(s.allowTools.map((t) => t.split('.')[0] as string).filter(Boolean))];
  const tools: McpTool[] = [];
  const errors: { server: string; error: string }[] = [];
  for (const server of servers) {
    const r = await run(s, ['list', server, '--json', '--schema']);
    let body: { status?: string; tools?: { name: string; description?: string; inputSchema?: Record<string, unknown> }[]; error?: string } | null = null;
    try {
      body = JSON.parse(r.stdout);
    } catch {}
    if (body?.status !== 'ok' || !Array.isArray(body.tools)) {
      errors.push({ server, error: (body?.error ?? r.stderr.trim()) || r.error || `exit ${r.code}` });
      continue;
    }
    for (const t of body.tools)
      if (mcpToolAllowed(s.allowTools, server, t.name))
        tools.push({ server, name: t.name, description: t.description ?? '', inputSchema: t.inputSchema ?? { type: 'object', properties: {} } });
  }
  return { available: true, tools, errors };
}

/** Calls an allowlisted tool; anything not allowlisted is refused without running mcporter. */
export async function callMcpTool(s: McpSettings, server: string, tool: string, args: Record<string, unknown>): Promise<McpCallResult> {
  if (!mcpToolAllowed(s.allowTools, server, tool))
    return { ok: false, error_code: 'mcp_tool_not_allowed', error: `${server}.${tool} is not in exec.mcp.allowTools` };
  const blocked = missing(s);
  if (blocked && !blocked.available) return { ok: false, error_code: blocked.error_code, error: blocked.detail };
  if (!/^[A-Za-z0-9_.-]+$/.test(server) || !/^[A-Za-z0-9_.-]+$/.test(tool))
    return { ok: false, error_code: 'mcp_tool_invalid', error: `invalid tool name ${server}.${tool}` };
  const r = await run(s, ['call', `${server}.${tool}`, '--args', JSON.stringify(args), '--output', 'json']);
  if (r.code !== 0)
    return { ok: false, error_code: 'mcp_call_failed', error: (r.stderr.trim() || r.stdout.trim() || r.error || `exit ${r.code}`).slice(0, 2000) };
  return { ok: true, output: r.stdout };
}
