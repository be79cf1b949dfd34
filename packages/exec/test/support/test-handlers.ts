/** Job types for worker tests: they exercise the worker, not a real job. */
import { appendFileSync } from 'node:fs';
import type { JobHandler } from '../../src/jobs/handler.js';
import { jobs, spec } from './allowlists.js';

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });

export const testHandlers = new Map<string, JobHandler>([
  ['noop_task', async () => ({ state: 'completed', result: {} })],
  [
    'sleep_task',
    async (ctx) => {
      const marker = ctx.validated.params.marker;
      if (typeof marker === 'string' && marker) appendFileSync(marker, `start ${ctx.job.id} ${process.pid}\n`);
      await wait(Number(ctx.validated.params.ms ?? 100), ctx.signal);
      if (typeof marker === 'string' && marker) appendFileSync(marker, `end ${ctx.job.id} ${process.pid}\n`);
      return { state: 'completed', result: { slept: ctx.validated.params.ms } };
    },
  ],
  [
    'tools_task',
    async (ctx) => {
      for (let i = 0; i < Number(ctx.validated.params.calls); i++) ctx.budget.toolCall();
      return { state: 'completed', result: { calls: ctx.validated.params.calls } };
    },
  ],
]);

export const testJobs = jobs({
  noop_task: spec(),
  sleep_task: spec({
    allowed_params: { ms: { type: 'int', min: 0, max: 600_000 }, marker: { type: 'string', max_length: 4096 } },
    max_attempts: 100,
    budget: { max_runtime_sec: 600 },
  }),
  short_task: spec(),
  tools_task: spec({ allowed_params: { calls: { type: 'int', min: 0, max: 100 } }, budget: { max_tool_calls: 2 } }),
});
