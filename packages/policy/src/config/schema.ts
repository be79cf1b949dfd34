/**
 * The openclaw.yaml schema (SPEC §3). Objects are strict: an unknown key is an error naming its
 * path, so a typo never silently falls back to a default.
 */
import * as z from 'zod';
import { ASK_MODES, HOSTS, SECURITY_MODES } from './values.js';

export const Host = z.enum(HOSTS);
export const Security = z.enum(SECURITY_MODES);
export const Ask = z.enum(ASK_MODES);

const absoluteDir = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');

export const ExecToolConfig = z
  .strictObject({
    host: Host.describe('Where commands run: sandbox (default), gateway (this host) or node.'),
    security: Security.describe('deny (default), allowlist or full.'),
    ask: Ask.describe('When to ask a human: off, on-miss (default) or always.'),
    askFallback: Security.describe('What an ask becomes when no human can be reached: deny (default), allowlist or full.'),
    node: z.string().min(1).describe('Node id or name commands are bound to when host is node.'),
    timeoutSec: z.number().int().positive().max(86_400).describe('Default command timeout in seconds.'),
    maxOutputChars: z.number().int().positive().max(10_000_000).describe('Cap on stdout+stderr characters kept.'),
    path: z.array(absoluteDir).min(1).describe('The PATH executables are looked up in (never taken from a request).'),
  })
  .partial();
export type ExecToolConfig = z.infer<typeof ExecToolConfig>;

const ToolsConfig = z.strictObject({ exec: ExecToolConfig }).partial();

export const AgentConfig = z.strictObject({ tools: ToolsConfig }).partial();

export const SandboxConfig = z
  .strictObject({
    backend: z.enum(['bwrap', 'docker']).describe('Sandbox backend (bwrap by default on Linux).'),
    image: z.string().min(1).describe('Container image for the docker backend.'),
    workspace: absoluteDir.describe('Directory mounted writable inside the sandbox (default: the command cwd).'),
  })
  .partial();

export const WorkerConfig = z
  .strictObject({
    concurrency: z.number().int().min(1).max(256),
    pollMs: z.number().int().min(10).max(60_000),
    leaseSec: z.number().int().min(1).max(86_400),
    heartbeatSec: z.number().int().min(1).max(3_600),
    maxAttempts: z.number().int().min(1).max(100),
    hostId: z.string().min(1).max(200),
  })
  .partial();

export const ModelConfig = z
  .strictObject({
    apiBase: z
      .url({ protocol: /^https?$/ })
      .describe('OpenAI-compatible API base for agent_task (default http://127.0.0.1:8001/v1; OPENCLAW_MODEL_API_BASE wins).'),
    model: z.string().min(1).max(200).describe('Model name sent to the endpoint (default: the first one its /models lists).'),
    apiKeySecret: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/)
      .describe('Secret holding the API key (`openclaw secrets set NAME`; default openai).'),
  })
  .partial();

export const AgentJobConfig = z
  .strictObject({
    workspace: absoluteDir.describe(
      "agent_task's workspace: read_file/list_dir stay inside it, run_command runs in it (default: the job's artifact directory).",
    ),
  })
  .partial();

export const McpConfig = z
  .strictObject({
    binary: absoluteDir.describe('The mcporter executable (default: mcporter on the policy PATH).'),
    config: z.string().min(1).describe('mcporter config file (mcpServers) agent_task may use.'),
    allowTools: z
      .array(z.string().regex(/^[A-Za-z0-9_-]+\.([A-Za-z0-9_.-]+|\*)$/, 'server.tool or server.*'))
      .describe('MCP tools agent_task may call (server.tool or server.*); nothing else is offered or called.'),
  })
  .partial();

export const ExecConfig = z
  .strictObject({
    store: z.string().min(1).describe('"sqlite" (default: $OPENCLAW_HOME/state/exec.db), a SQLite file path, or a postgres:// URL.'),
    worker: WorkerConfig,
    model: ModelConfig,
    agent: AgentJobConfig,
    mcp: McpConfig,
  })
  .partial();

export const JobsConfig = z.strictObject({ allowlist: z.string().min(1).describe('Path of the job allowlist YAML.') }).partial();
export const ReposConfig = z
  .strictObject({
    allowlist: z.string().min(1).describe('Path of the repo allowlist YAML.'),
    mirrors: z.string().min(1).describe('Directory of bare mirrors (default $OPENCLAW_HOME/mirrors).'),
  })
  .partial();
export const ApprovalsConfig = z
  .strictObject({
    file: z.string().min(1).describe('Approvals file (default $OPENCLAW_HOME/exec-approvals.json).'),
    socket: z.string().min(1).describe('Approvals endpoint socket (default from the approvals file).'),
    tokenStore: z
      .string()
      .min(1)
      .describe(
        'Where `approvals serve` keeps approval tokens: "memory" (default; lost on restart), "sqlite" ($OPENCLAW_HOME/state/approvals.db) or a SQLite file path.',
      ),
  })
  .partial();

export const OpenclawConfig = z
  .strictObject({
    version: z.literal(1),
    tools: ToolsConfig,
    agents: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'agent ids are letters, digits, _ . -'), AgentConfig),
    sandbox: SandboxConfig,
    exec: ExecConfig,
    jobs: JobsConfig,
    repos: ReposConfig,
    approvals: ApprovalsConfig,
  })
  .partial();
export type OpenclawConfig = z.infer<typeof OpenclawConfig>;
