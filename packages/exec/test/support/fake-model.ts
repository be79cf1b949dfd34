/**
 * A fake OpenAI-compatible endpoint on the loopback: answers GET /models and POST /chat/completions
 * from a script (one answer per request, in order: tool calls or a final message), and records every
 * request it received (headers and body) so tests can see what the agent sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export type ScriptedCall = { name: string; args: Record<string, unknown> | string };
export type ScriptedAnswer = { tools: ScriptedCall[] } | { content: string } | { status: number; body: string };

export interface FakeModel {
  base: string;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are checked by the assertions
  requests: { path: string; headers: IncomingHttpHeaders; body: any }[];
  close(): Promise<void>;
}

export async function fakeModel(script: ScriptedAnswer[] | ((n: number) => ScriptedAnswer)): Promise<FakeModel> {
  const requests: FakeModel['requests'] = [];
  let n = 0;
  let callId = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : null;
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/v1/models') return res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] }));
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.statusCode = 404;
        return res.end('{}');
      }
      const a = typeof script === 'function' ? script(n) : (script[n] ?? { content: 'script exhausted' });
      n++;
      if ('status' in a) {
        res.statusCode = a.status;
        return res.end(a.body);
      }
      const message =
        'tools' in a
          ? {
              role: 'assistant',
              content: null,
              tool_calls: a.tools.map((t) => ({
                id: `call_${++callId}`,
                type: 'function',
                function: { name: t.name, arguments: typeof t.args === 'string' ? t.args : JSON.stringify(t.args) },
              })),
            }
          : { role: 'assistant', content: a.content };
      res.end(
        JSON.stringify({
          id: `cmpl-${n}`,
          object: 'chat.completion',
          model: body?.model ?? 'fake-model',
          choices: [{ index: 0, message, finish_reason: 'tools' in a ? 'tool_calls' : 'stop' }],
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
