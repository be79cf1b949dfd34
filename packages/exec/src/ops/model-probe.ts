/**
 * The model endpoint as `exec health` reports it (SPEC §5): `OPENCLAW_MODEL_API_BASE` (else `exec.model.apiBase`,
 * else http://127.0.0.1:8001/v1), probed for real with `GET /models` and a bounded timeout. Stub mode
 * (`OPENCLAW_MODEL_STUB=1`) skips the probe and says so: reachability is then unknown, not true.
 */
export const DEFAULT_MODEL_API_BASE = 'http://127.0.0.1:8001/v1';

export interface ModelProbe {
  model_stub_mode: boolean;
  model_api_base: string;
  /** null when not probed (stub mode). */
  model_reachable: boolean | null;
  model_detail: string;
}

export function modelSettings(env: NodeJS.ProcessEnv = process.env, configBase?: string): { base: string; stub: boolean } {
  const base = env.OPENCLAW_MODEL_API_BASE && env.OPENCLAW_MODEL_API_BASE !== '' ? env.OPENCLAW_MODEL_API_BASE : (configBase ?? DEFAULT_MODEL_API_BASE);
  const stub = ['1', 'true', 'yes'].includes((env.OPENCLAW_MODEL_STUB ?? '').toLowerCase());
  return { base: base.replace(/\/+$/, ''), stub };
}

export async function probeModel(env: NodeJS.ProcessEnv = process.env, timeoutMs = 2000, configBase?: string): Promise<ModelProbe> {
  const { base, stub } = modelSettings(env, configBase);
  if (stub) return { model_stub_mode: true, model_api_base: base, model_reachable: null, model_detail: 'stub mode: not probed' };
  let url: URL;
  try {
    url = new URL(`${base}/models`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
  } catch (e) {
    return {
      model_stub_mode: false,
      model_api_base: base,
      model_reachable: false,
      model_detail: `error: invalid OPENCLAW_MODEL_API_BASE (${(e as Error).message})`,
    };
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    let detail = `http ${res.status}`;
    if (res.ok) {
      const body = (await res.json().catch(() => null)) as { data?: { id?: string }[] } | null;
      const ids = Array.isArray(body?.data) ? body.data.map((m) => m.id).filter(Boolean) : [];
      detail += ids.length ? ` models=${ids.slice(0, 5).join(',')}` : ' (no model list)';
    } else await res.body?.cancel();
    return { model_stub_mode: false, model_api_base: base, model_reachable: res.ok, model_detail: detail };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { model_stub_mode: false, model_api_base: base, model_reachable: false, model_detail: `error: ${why}` };
  }
}
