/**
 * agent_task against a fake OpenAI-compatible server on the loopback that scripts tool calls: the
 * allowed ones run (files through the path sandbox, commands through the policy and the bwrap
 * runner, MCP tools through the real mcporter and a real MCP server), disallowed ones are refused,
 * the budget stops the loop — and all of it is in the ledger.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { McpSettings } from '../src/agent/mcporter.js';
import { FS_SERVER, MCPORTER, runAgentJob } from './support/agent.js';
import type { ScriptedAnswer } from './support/fake-model.js';

describe('agent_task: the tool loop', () => {
  it('runs the allowed tools, refuses the disallowed ones, and records every call in the ledger', async () => {
    const { report, calls, model, row, events, home, job } = await runAgentJob({
      script: [
        {
          tools: [
            { name: 'read_file', args: { path: 'notes.txt' } },
            { name: 'list_dir', args: { path: '.' } },
            { name: 'read_file', args: { path: '../../etc/shadow' } },
            { name: 'run_command', args: { argv: ['cat', 'sub/deeper.txt'] } },
            { name: 'run_command', args: { command: 'cat $(whoami)' } },
            { name: 'delete_everything', args: {} },
            { name: 'mcp__fs__write_file', args: { path: 'x', content: 'y' } },
            { name: 'read_file', args: '{not json' },
          ],
        },
        { content: 'I read the notes.' },
      ],
    });
    expect(report?.state, report?.error).toBe('completed');
    expect(calls.map((c) => [c.data.tool, c.data.status, c.data.code ?? null])).toEqual([
      ['read_file', 'ok', null],
      ['list_dir', 'ok', null],
      ['read_file', 'refused', expect.stringMatching(/dot_dot|outside|escape/)],
      ['run_command', 'ok', null],
      ['run_command', 'refused', 'policy_denied'],
      ['delete_everything', 'refused', 'unknown_tool'],
      ['mcp__fs__write_file', 'refused', 'mcp_tool_not_allowed'],
      ['read_file', 'refused', 'bad_arguments'],
    ]);
    // The command ran inside the sandbox, recorded like any job command.
    expect(calls[3]?.data.detail).toMatchObject({ host: 'sandbox', exit_code: 0 });
    const started = events.find((e) => e.type === 'exec.started');
    expect(started?.data).toMatchObject({ launcher: 'bwrap', argv: [['cat', 'sub/deeper.txt']] });
    // What the model was told: the results, and the refusals with their reasons.
    const second = model.requests.filter((r) => r.path === '/v1/chat/completions')[1]?.body;
    const toolMsgs = second.messages.filter((m: { role: string }) => m.role === 'tool').map((m: { content: string }) => m.content);
    expect(toolMsgs[0]).toBe('the notes\n');
    expect(toolMsgs[1]).toBe('notes.txt\nsub/');
    expect(toolMsgs[2]).toMatch(/^refused/);
    expect(toolMsgs[3]).toBe('exit 0\ndeep\n');
    expect(toolMsgs[4]).toMatch(/^refused \(policy_denied\): .*\$\(/);
    expect(second.model).toBe('fake-model');
    expect(second.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['read_file', 'list_dir', 'run_command']);
    expect(row?.result).toMatchObject({ steps: 2, tool_calls: 8, answer: 'I read the notes.' });
    expect(events.filter((e) => e.type === 'agent.model').map((e) => e.data.tool_calls.length)).toEqual([8, 0]);
    expect(readFileSync(join(home, 'artifacts', job.id, 'answer.md'), 'utf8')).toBe('I read the notes.\n');
  });

  it('stops at the tool-call budget: the call over the limit is refused and the job fails', async () => {
    const { report, calls, row, model } = await runAgentJob({
      maxToolCalls: 2,
      script: [{ tools: [1, 2, 3].map(() => ({ name: 'read_file', args: { path: 'notes.txt' } })) }, { content: 'never reached' }],
    });
    expect(report).toMatchObject({ state: 'failed', error: 'budget exceeded: tool_calls 3 > 2' });
    expect(row?.result).toMatchObject({ code: 'budget_exceeded', resource: 'tool_calls' });
    expect(calls.map((c) => [c.data.status, c.data.code ?? null])).toEqual([
      ['ok', null],
      ['ok', null],
      ['refused', 'budget_exceeded'],
    ]);
    expect(model.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('fails at max_steps when the model never stops calling tools', async () => {
    const { report, calls } = await runAgentJob({ maxSteps: 2, script: () => ({ tools: [{ name: 'list_dir', args: { path: '.' } }] }) });
    expect(report).toMatchObject({ state: 'failed', error: expect.stringMatching(/^max_steps_exceeded/) });
    expect(calls).toHaveLength(2);
  });

  it('stub mode asks no model and calls no tool', async () => {
    const { report, calls, model, row } = await runAgentJob({ stub: true, script: [{ tools: [{ name: 'list_dir', args: { path: '.' } }] }] });
    expect(report?.state).toBe('completed');
    expect(calls).toEqual([]);
    expect(model.requests).toEqual([]);
    expect(row?.result).toMatchObject({ stub: true, tool_calls: 0 });
  });

  it.each([
    ['unreachable (nothing listens)', 'http://127.0.0.1:9/v1', [], 'model_unreachable'],
    ['answering HTTP 500', undefined, [{ status: 500, body: 'boom' }], 'model_http_error'],
    ['answering garbage', undefined, [{ status: 200, body: '{"choices":[]}' }], 'model_bad_answer'],
  ] as [string, string | undefined, ScriptedAnswer[], string][])('a model %s fails the job with its code', async (_name, base, script, code) => {
    const { report, row } = await runAgentJob({ script, ...(base ? { base } : {}) });
    expect(report?.state).toBe('failed');
    expect(row?.result).toMatchObject({ code });
  });
});

describe('agent_task: MCP tools through mcporter', () => {
  const mcp =
    (allowTools: string[], binary = MCPORTER) =>
    (ws: string, home: string): McpSettings => {
      const config = join(home, 'mcporter.json');
      writeFileSync(config, JSON.stringify({ mcpServers: { fs: { command: process.execPath, args: [FS_SERVER, ws] } } }));
      return { binary, config, allowTools, home };
    };

  it('offers and calls only the allowlisted MCP tools', async () => {
    const { report, calls, model, events } = await runAgentJob({
      mcp: mcp(['fs.read_text_file', 'fs.list_directory']),
      script: (n) =>
        n === 0
          ? {
              tools: [
                { name: 'mcp__fs__read_text_file', args: { path: 'PLACEHOLDER' } },
                { name: 'mcp__fs__write_file', args: { path: 'x.txt', content: 'y' } },
              ],
            }
          : { content: 'done' },
      workspace: { 'notes.txt': 'mcp notes\n' },
    });
    expect(report?.state, report?.error).toBe('completed');
    const first = model.requests.find((r) => r.path === '/v1/chat/completions')?.body;
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual([
      'read_file',
      'list_dir',
      'run_command',
      'mcp__fs__read_text_file',
      'mcp__fs__list_directory',
    ]);
    expect(events.find((e) => e.type === 'agent.mcp')?.data).toMatchObject({ available: true, tools: ['fs.read_text_file', 'fs.list_directory'] });
    // The read went to the real server (which refuses a path outside its root); the write was refused before mcporter ran.
    expect(calls.map((c) => [c.data.tool, c.data.status, c.data.code ?? null])).toEqual([
      ['mcp__fs__read_text_file', 'error', 'mcp_call_failed'],
      ['mcp__fs__write_file', 'refused', 'mcp_tool_not_allowed'],
    ]);
  });

  it('reads a file through the MCP server', async () => {
    let ws = '';
    const { report, calls, model } = await runAgentJob({
      mcp: (w, h) => {
        ws = w;
        return mcp(['fs.read_text_file'])(w, h);
      },
      script: (n) => (n === 0 ? { tools: [{ name: 'mcp__fs__read_text_file', args: { path: join(ws, 'notes.txt') } }] } : { content: 'done' }),
      workspace: { 'notes.txt': 'mcp notes\n' },
    });
    expect(report?.state, report?.error).toBe('completed');
    expect(calls.map((c) => c.data.status)).toEqual(['ok']);
    const second = model.requests.filter((r) => r.path === '/v1/chat/completions')[1]?.body;
    expect(JSON.parse(second.messages.at(-1).content)).toEqual({ content: 'mcp notes\n' });
  });

  it('without the mcporter binary: {available: false, blocked_by: mcporter_not_installed, error_code: mcporter_missing, tools: []}', async () => {
    const { report, events, model } = await runAgentJob({ mcp: mcp(['fs.read_text_file'], '/nonexistent/mcporter'), script: [{ content: 'done' }] });
    expect(report?.state).toBe('completed');
    expect(events.find((e) => e.type === 'agent.mcp')?.data).toMatchObject({
      available: false,
      blocked_by: 'mcporter_not_installed',
      error_code: 'mcporter_missing',
      tools: [],
    });
    const first = model.requests.find((r) => r.path === '/v1/chat/completions')?.body;
    expect(first.tools).toHaveLength(3);
  });
});
