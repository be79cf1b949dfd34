import type { CheckDefinition } from '../check.js';

export const DEFAULT_MODEL_API_BASE = 'http://127.0.0.1:8001/v1';
const TIMEOUT_MS = 500;

interface HttpAnswer {
  status?: number;
  error?: string;
  body?: string;
}

/** GET with a hard bound, through node:http (lighter to load than fetch). */
function get(url: URL): Promise<HttpAnswer> {
  const mod = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  return new Promise((resolve) => {
    const req = mod.get(url, { timeout: TIMEOUT_MS, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65_536) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ error: `no answer within ${TIMEOUT_MS} ms` });
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ error: e.code === 'ECONNREFUSED' ? 'connection refused: nothing listens there' : (e.code ?? e.message) }),
    );
  });
}

export const modelEndpoint: CheckDefinition = {
  id: 'model.endpoint',
  title: 'the model endpoint answers (OPENCLAW_MODEL_API_BASE)',
  severity: 'medium',
  async run(ctx) {
    const base = ctx.env.OPENCLAW_MODEL_API_BASE || DEFAULT_MODEL_API_BASE;
    let url: URL;
    try {
      url = new URL(`${base.replace(/\/+$/, '')}/models`);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    } catch {
      return {
        status: 'fail',
        detail: `OPENCLAW_MODEL_API_BASE=${base} is not an http(s) URL`,
        remediation: `set it like ${DEFAULT_MODEL_API_BASE}`,
        evidence: { base },
      };
    }
    const started = performance.now();
    const r = await get(url);
    const evidence = { base, url: url.href, status: r.status ?? null, error: r.error ?? null, ms: Math.round(performance.now() - started) };
    if (r.error !== undefined)
      return {
        status: 'warn',
        detail: `${url.href}: ${r.error}`,
        remediation: 'start an OpenAI-compatible server there, or point OPENCLAW_MODEL_API_BASE at one (agent_task needs it)',
        evidence,
      };
    const status = r.status as number;
    if (status >= 200 && status < 300) {
      let models: number | null = null;
      try {
        const data = JSON.parse(r.body ?? '') as { data?: unknown[] };
        models = Array.isArray(data.data) ? data.data.length : null;
      } catch {
        // an answer without a model list is still an answer
      }
      return {
        status: 'pass',
        detail: `${url.href} answered HTTP ${status}${models !== null ? `, ${models} model${models === 1 ? '' : 's'}` : ''}`,
        evidence: { ...evidence, models },
      };
    }
    if (status === 401 || status === 403) return { status: 'pass', detail: `${url.href} answered HTTP ${status} (reachable; it wants an API key)`, evidence };
    return {
      status: 'warn',
      detail: `${url.href} answered HTTP ${status}`,
      remediation: 'check that OPENCLAW_MODEL_API_BASE points at the /v1 root of an OpenAI-compatible API',
      evidence,
    };
  },
};
