/**
 * A fake OpenAI-compatible chat-completions server on loopback, started by a test. It records the
 * requests and answers with what the test says (a verdict, a wrong shape, an HTTP error, no model).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  path: string;
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[] };
}

export type FakeAnswer = { status?: number; content?: string; model?: string | null; raw?: string };

export interface FakeModel {
  base: string;
  requests: FakeRequest[];
  answer: (req: FakeRequest) => FakeAnswer;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((res, rej) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      s += d;
    });
    req.on('end', () => res(s));
    req.on('error', rej);
  });
}

export async function startFakeModel(
  answer: FakeModel['answer'] = () => ({ content: JSON.stringify({ verdict: 'APPROVED', blockers: [] }) }),
): Promise<FakeModel> {
  const fake: FakeModel = { base: '', requests: [], answer, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    const r: FakeRequest = { path: req.url ?? '', authorization: req.headers.authorization, body };
    fake.requests.push(r);
    const a = fake.answer(r);
    res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
    if (a.raw !== undefined) return void res.end(a.raw);
    const model = a.model === null ? undefined : (a.model ?? 'fake-reviewer-2026-01-01');
    res.end(
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        ...(model ? { model } : {}),
        choices: [{ index: 0, message: { role: 'assistant', content: a.content ?? '' } }],
      }),
    );
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () => new Promise((res) => server.close(() => res()));
  return fake;
}
