/** What agent_task needs from the config: the model endpoint and its key, MCPorter, the workspace. */
import { dirname, resolve } from 'node:path';
import { type OpenclawConfig, resolveExecutable, userHome } from '@openclaw/policy';
import { getSecret } from '../secrets/store.js';
import type { WorkerRuntime } from '../worker/run-job.js';
import { modelSettings } from './model-client.js';

export function agentRuntime(
  cfg: OpenclawConfig,
  configFile: string | null | undefined,
  openclawHome: string,
  pathDirs: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkerRuntime, 'model' | 'mcp' | 'agentWorkspace'> {
  const secret = cfg.exec?.model?.apiKeySecret ?? 'openai';
  let key: Promise<string | null> | undefined;
  // Looked up once, when the first request needs it; never prompted for (a worker has no terminal).
  const apiKey = () => {
    key ??= getSecret(secret, { home: openclawHome, env, prompt: false }).then((r) => r.value);
    return key;
  };
  const mcp = cfg.exec?.mcp;
  const found = resolveExecutable('mcporter', '/', pathDirs);
  const base = configFile ? dirname(configFile) : process.cwd();
  return {
    model: modelSettings(cfg.exec?.model, env, apiKey),
    mcp: {
      binary: mcp?.binary ?? (found.ok ? found.realPath : null),
      config: mcp?.config ? resolve(base, mcp.config) : null,
      allowTools: mcp?.allowTools ?? [],
      home: userHome(env),
    },
    agentWorkspace: cfg.exec?.agent?.workspace,
  };
}
