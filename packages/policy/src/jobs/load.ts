import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigInvalidError } from '../config/load.js';
import type { OpenclawConfig } from '../config/schema.js';
import { OpenclawError } from '../errors.js';
import { openclawHome } from '../home.js';
import type { JobAllowlist, RepoAllowlist } from './schema.js';

/** The defaults shipped in the repository's `configs/` (found from this module, in src or dist). */
export function bundledConfigPath(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'configs', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** Which allowlist file applies: config → `$OPENCLAW_HOME/<name>` → the bundled default. */
export function allowlistPath(kind: 'jobs' | 'repos', config: OpenclawConfig, configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = kind === 'jobs' ? 'job_allowlist.yaml' : 'repo_allowlist.yaml';
  const configured = kind === 'jobs' ? config.jobs?.allowlist : config.repos?.allowlist;
  if (configured) return resolve(configFile ? dirname(configFile) : process.cwd(), configured);
  const home = join(openclawHome(env), name);
  if (existsSync(home)) return home;
  const bundled = bundledConfigPath(name);
  if (bundled) return bundled;
  throw new OpenclawError({ code: 'allowlist_missing', reason: `no ${name} found`, hint: `create ${home} (see configs/${name} in the openclaw repository)` });
}

async function loadYaml<T>(file: string, schema: 'jobs' | 'repos'): Promise<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OpenclawError({
      code: 'allowlist_unreadable',
      reason: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`,
      hint: 'check the path in openclaw.yaml',
    });
  }
  const [{ parseYaml }, schemas] = await Promise.all([import('../config/yaml.js'), import('./schema.js')]);
  const parsed = parseYaml(text, file, schema === 'jobs' ? schemas.JobAllowlist : schemas.RepoAllowlist);
  if (!parsed.ok) throw new ConfigInvalidError(parsed.issues);
  return parsed.value as T;
}

export function loadJobAllowlist(file: string): Promise<JobAllowlist> {
  return loadYaml<JobAllowlist>(file, 'jobs');
}

export function loadRepoAllowlist(file: string): Promise<RepoAllowlist> {
  return loadYaml<RepoAllowlist>(file, 'repos');
}
