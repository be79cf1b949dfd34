/**
 * Config discovery and loading (SPEC §2): `--config`, `OPENCLAW_CONFIG`, `./openclaw.yaml`,
 * `$OPENCLAW_HOME/openclaw.yaml`; none found means defaults. A file named explicitly must exist.
 * The YAML parser and zod load only when there is a file to read, keeping the no-config start fast.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, OpenclawError } from '../errors.js';
import { openclawHome } from '../home.js';
import { type ConfigIssue, formatIssue } from './errors.js';
import type { OpenclawConfig } from './schema.js';

export type ConfigSource = 'flag' | 'env' | 'cwd' | 'home' | 'defaults';

export interface LoadedConfig {
  config: OpenclawConfig;
  file?: string;
  source: ConfigSource;
}

export interface DiscoverOptions {
  flag?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function discoverConfig(opts: DiscoverOptions = {}): { file: string; source: ConfigSource } | undefined {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const named = (file: string, source: ConfigSource, how: string) => {
    const abs = resolve(cwd, file);
    if (!existsSync(abs)) {
      throw new OpenclawError({
        code: 'config_not_found',
        reason: `config file ${abs} (from ${how}) does not exist`,
        hint: 'check the path, or drop it to use the defaults',
        exitCode: ExitCode.usage,
      });
    }
    return { file: abs, source };
  };
  if (opts.flag) return named(opts.flag, 'flag', '--config');
  if (env.OPENCLAW_CONFIG) return named(env.OPENCLAW_CONFIG, 'env', 'OPENCLAW_CONFIG');
  const local = join(cwd, 'openclaw.yaml');
  if (existsSync(local)) return { file: local, source: 'cwd' };
  const home = join(openclawHome(env), 'openclaw.yaml');
  if (existsSync(home)) return { file: home, source: 'home' };
  return undefined;
}

export class ConfigInvalidError extends OpenclawError {
  constructor(readonly issues: ConfigIssue[]) {
    super({
      code: 'config_invalid',
      reason: issues.length === 1 ? formatIssue(issues[0] as ConfigIssue) : `${issues.length} problems:\n  ${issues.map(formatIssue).join('\n  ')}`,
      hint: 'fix the file (`openclaw config validate` lists every problem; `openclaw schema` writes the JSON Schema)',
      details: { issues },
    });
  }
}

/** Parses config text; returns the issues instead of throwing (for `config validate`). */
export async function parseConfigText(text: string, file?: string) {
  const [{ parseYaml }, { OpenclawConfig }] = await Promise.all([import('./yaml.js'), import('./schema.js')]);
  return parseYaml(text, file, OpenclawConfig);
}

export async function readConfigFile(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false as const, issues: [{ file, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }] };
  }
  return parseConfigText(text, file);
}

export async function loadConfig(opts: DiscoverOptions = {}): Promise<LoadedConfig> {
  const found = discoverConfig(opts);
  if (!found) return { config: {}, source: 'defaults' };
  const parsed = await readConfigFile(found.file);
  if (!parsed.ok) throw new ConfigInvalidError(parsed.issues);
  return { config: parsed.value, file: found.file, source: found.source };
}
