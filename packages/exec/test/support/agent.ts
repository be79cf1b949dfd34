/** A worker running one agent_task against a fake model, in a test's temporary world. */
import { join } from 'node:path';
import { type ApprovalsSnapshot, compilePolicy, DEFAULT_POLICY_PATH, detectSandbox } from '@openclaw/policy';
import { afterEach } from 'vitest';
import { testdir } from '../../../../test/support/tmp.js';
import type { McpSettings } from '../../src/agent/mcporter.js';
import type { ModelSettings } from '../../src/agent/model-client.js';
import { enqueueJob } from '../../src/jobs/enqueue.js';
import { builtinHandlers } from '../../src/jobs/handlers/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { ExecStore } from '../../src/store/types.js';
import { Worker } from '../../src/worker/worker.js';
import { jobs, repos, spec } from './allowlists.js';
import { type FakeModel, fakeModel, type ScriptedAnswer } from './fake-model.js';
import { runtimeFor } from './worker.js';

const noApprovals: ApprovalsSnapshot = { status: 'missing', path: '/nonexistent/exec-approvals.json' };
export const MCPORTER = join(import.meta.dirname, '../../node_modules/.bin/mcporter');
export const FS_SERVER = join(import.meta.dirname, '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');

const stores: ExecStore[] = [];
const models: FakeModel[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const m of models.splice(0)) await m.close();
});

export interface Event {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: ledger data is checked by the assertions
  data: Record<string, any>;
}

export async function runAgentJob(opts: {
  script: ScriptedAnswer[] | ((n: number) => ScriptedAnswer);
  maxToolCalls?: number;
  maxSteps?: number;
  mcp?: (ws: string, home: string) => McpSettings;
  stub?: boolean;
  base?: string;
  apiKey?: string;
  /** Replaces the model settings (e.g. the real key lookup). */
  modelSettings?: (base: string, home: string) => ModelSettings;
  workspace?: Record<string, string>;
  home?: string;
}) {
  const home = opts.home ?? testdir();
  const ws = testdir(opts.workspace ?? { 'notes.txt': 'the notes\n', 'sub/deeper.txt': 'deep\n' });
  const model = await fakeModel(opts.script);
  models.push(model);
  const store = await SqliteStore.open(join(home, 'state/exec.db'));
  stores.push(store);
  const policy = compilePolicy({ config: {}, approvals: noApprovals, sandbox: detectSandbox('bwrap', DEFAULT_POLICY_PATH), home });
  const allowlists = {
    jobs: jobs({
      agent_task: spec({
        subprocess: true,
        allowed_params: { prompt: { type: 'string', max_length: 20000, required: true }, max_steps: { type: 'int', min: 1, max: 200, default: 20 } },
        budget: { max_runtime_sec: 300, max_output_chars: 200_000, max_tool_calls: opts.maxToolCalls ?? 20 },
      }),
    }),
    repos: repos({}),
  };
  const job = await enqueueJob(
    store,
    allowlists,
    { type: 'agent_task', params: { prompt: 'look around', ...(opts.maxSteps ? { max_steps: String(opts.maxSteps) } : {}) } },
    { workerId: 'cli', host: 'test' },
  );
  const logs: string[] = [];
  const runtime = runtimeFor(home, {
    policy,
    agentWorkspace: ws,
    model: opts.modelSettings?.(opts.base ?? model.base, home) ?? {
      base: opts.base ?? model.base,
      model: null,
      stub: opts.stub ?? false,
      timeoutMs: 10_000,
      apiKey: async () => opts.apiKey ?? null,
    },
    ...(opts.mcp ? { mcp: opts.mcp(ws, home) } : {}),
  });
  const summary = await new Worker({ store, allowlists, handlers: builtinHandlers(), runtime, once: true, hostId: 'test', log: (l) => logs.push(l) }).run();
  const events: Event[] = (await store.jobEvents(job.id)).map((r) => JSON.parse(r.body));
  const ledger: string[] = [];
  for await (const page of store.ledgerPages()) for (const r of page) ledger.push(r.body);
  return {
    job,
    home,
    ws,
    model,
    store,
    report: summary.jobs[0],
    events,
    calls: events.filter((e) => e.type === 'agent.tool_call'),
    logs,
    ledger,
    row: await store.getJob(job.id),
  };
}
