/**
 * Loading a policy from disk: the config (discovered), the approvals file (fail-closed) and the
 * sandbox status, compiled into a `CompiledPolicy` ready for `decide()`.
 */
import { resolve } from 'node:path';
import { defaultApprovalsPath, readApprovalsFile } from './approvals/read.js';
import { type LoadedConfig, loadConfig } from './config/load.js';
import { type CompiledPolicy, compilePolicy } from './decide.js';
import { DEFAULT_POLICY_PATH } from './executables/resolve.js';
import { detectSandbox } from './sandbox/detect.js';

export interface LoadPolicyOptions {
  /** `--config`: an explicit config file. */
  configFile?: string | undefined;
  /** `--approvals`: an explicit approvals file. */
  approvalsFile?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedPolicy {
  policy: CompiledPolicy;
  config: LoadedConfig;
  approvalsPath: string;
}

export function approvalsPathFor(config: LoadedConfig, flag: string | undefined, cwd: string, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(cwd, flag);
  const fromConfig = config.config.approvals?.file;
  if (fromConfig) return resolve(config.file ? resolve(config.file, '..') : cwd, fromConfig);
  return defaultApprovalsPath(env);
}

export async function loadPolicy(opts: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const config = await loadConfig({ flag: opts.configFile, cwd, env });
  const approvalsPath = approvalsPathFor(config, opts.approvalsFile, cwd, env);
  const approvals = await readApprovalsFile(approvalsPath);
  const backend = config.config.sandbox?.backend ?? 'bwrap';
  const sandbox = detectSandbox(backend, config.config.tools?.exec?.path ?? DEFAULT_POLICY_PATH, env);
  const policy = compilePolicy({ config: config.config, approvals, sandbox });
  return { policy, config, approvalsPath };
}
