/**
 * Matches a canonical path against many compiled patterns without testing each one: exact paths in
 * a map, wildcard patterns bucketed by their literal directory prefix, so a lookup tests only the
 * patterns whose prefix is an ancestor directory of the path. Results are memoised per path.
 */
import { type CompiledPattern, matchPattern } from './pattern.js';

export class AllowlistMatcher {
  private readonly exact = new Map<string, CompiledPattern>();
  private readonly buckets = new Map<string, CompiledPattern[]>();
  private readonly memo = new Map<string, CompiledPattern | null>();

  constructor(readonly patterns: readonly CompiledPattern[]) {
    for (const p of patterns) {
      if (p.exact !== undefined) {
        if (!this.exact.has(p.exact)) this.exact.set(p.exact, p);
        continue;
      }
      const list = this.buckets.get(p.prefix);
      if (list) list.push(p);
      else this.buckets.set(p.prefix, [p]);
    }
  }

  /** The first pattern (in allowlist order) matching `path`, or undefined. */
  match(path: string): CompiledPattern | undefined {
    const memo = this.memo.get(path);
    if (memo !== undefined) return memo ?? undefined;
    let best = this.exact.get(path);
    // Ancestor prefixes: "", "/", "/usr/", "/usr/bin/" … each a bucket key.
    let from = 0;
    for (;;) {
      const key = path.slice(0, from);
      const bucket = this.buckets.get(key);
      if (bucket) {
        for (const p of bucket) {
          if (best !== undefined && p.index > best.index) break;
          if (matchPattern(p, path)) {
            best = p;
            break;
          }
        }
      }
      if (from >= path.length) break;
      const slash = path.indexOf('/', from);
      if (slash === -1) break;
      from = slash + 1;
    }
    if (this.memo.size > 50_000) this.memo.clear();
    this.memo.set(path, best ?? null);
    return best;
  }
}
