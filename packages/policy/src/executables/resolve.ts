/**
 * Executable resolution: a bare name through the policy's PATH (never the request's), a name with
 * `/` against the request's cwd; then realpath, so allowlist patterns see the canonical file.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export interface ResolvedExecutable {
  ok: true;
  /** The path found by the PATH lookup (or the token resolved against cwd). */
  resolvedPath: string;
  /** The canonical path: symlinks followed. */
  realPath: string;
}
export interface UnresolvedExecutable {
  ok: false;
  code: 'not_found' | 'not_executable' | 'relative_cwd';
  reason: string;
}
export type ExecutableResolution = ResolvedExecutable | UnresolvedExecutable;

export const DEFAULT_POLICY_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function probe(candidate: string): ExecutableResolution | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(candidate);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  try {
    accessSync(candidate, constants.X_OK);
  } catch {
    return { ok: false, code: 'not_executable', reason: `${candidate} is not executable` };
  }
  try {
    return { ok: true, resolvedPath: candidate, realPath: realpathSync(candidate) };
  } catch {
    return undefined;
  }
}

/** Resolves without caching. */
export function resolveExecutable(token: string, cwd: string, pathDirs: readonly string[]): ExecutableResolution {
  if (token.includes('/')) {
    if (!isAbsolute(cwd)) return { ok: false, code: 'relative_cwd', reason: `working directory ${cwd} is not absolute` };
    // No lexical normalisation: `dir/../x` must mean what the kernel makes of it when `dir` is a
    // symlink, and `file/` is not a file. stat and realpath resolve it the way exec would.
    const candidate = token.startsWith('/') ? token : `${cwd.replace(/\/+$/, '')}/${token}`;
    if (token.endsWith('/')) return { ok: false, code: 'not_found', reason: `${candidate} is a directory path, not a file` };
    return probe(candidate) ?? { ok: false, code: 'not_found', reason: `${candidate} does not exist or is not a file` };
  }
  let firstError: ExecutableResolution | undefined;
  for (const dir of pathDirs) {
    const r = probe(join(dir, token));
    if (r?.ok) return r;
    firstError ??= r;
  }
  return firstError ?? { ok: false, code: 'not_found', reason: `\`${token}\` is not on the policy PATH (${pathDirs.join(':')})` };
}

/**
 * A cache of resolutions for hot loops (the endpoint, benchmarks). Entries are re-checked after
 * `ttlMs`, so a binary installed, replaced or re-linked is seen within that time; `clear()` forgets
 * everything at once.
 */
export class ExecutableResolver {
  private readonly cache = new Map<string, { at: number; result: ExecutableResolution }>();
  constructor(
    readonly pathDirs: readonly string[],
    private readonly ttlMs = 2000,
    private readonly maxEntries = 10_000,
  ) {}

  resolve(token: string, cwd: string): ExecutableResolution {
    const key = token.includes('/') ? `${cwd}\0${token}` : token;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.result;
    const result = resolveExecutable(token, cwd, this.pathDirs);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(key, { at: now, result });
    return result;
  }

  clear(): void {
    this.cache.clear();
  }
}
