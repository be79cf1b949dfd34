/**
 * Files left out of review bundles: lockfiles and generated or minified files by default (a reviewer
 * learns nothing from them and they crowd out the code), plus the user's `--exclude` globs. Every
 * excluded file is still listed in the artifact's coverage with the rule that excluded it.
 */

export interface ExcludeRule {
  rule: 'lockfile' | 'generated' | 'minified' | 'source_map' | 'user';
  glob: string;
}

const LOCKFILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lock',
  'bun.lockb',
  'deno.lock',
  'Cargo.lock',
  'Gemfile.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'composer.lock',
  'go.sum',
  'mix.lock',
  'flake.lock',
  'Podfile.lock',
  'pubspec.lock',
  'packages.lock.json',
];

export const DEFAULT_EXCLUDES: ExcludeRule[] = [
  ...LOCKFILES.map((glob) => ({ rule: 'lockfile' as const, glob })),
  ...['*.min.js', '*.min.mjs', '*.min.css'].map((glob) => ({ rule: 'minified' as const, glob })),
  ...['*.js.map', '*.css.map', '*.mjs.map'].map((glob) => ({ rule: 'source_map' as const, glob })),
  ...['*.pb.go', '*_pb2.py', '*_pb2_grpc.py', '*.generated.*', '*.g.dart', '*.designer.cs'].map((glob) => ({ rule: 'generated' as const, glob })),
];

/**
 * Glob → RegExp: `*` any run without `/`, `**` anything, `?` one character other than `/`. A glob
 * without `/` matches the file name at any depth (like .gitignore); one with `/` matches the whole
 * path from the repository root.
 */
export function globToRegExp(glob: string): RegExp {
  const anchored = glob.includes('/');
  const g = glob.startsWith('/') ? glob.slice(1) : glob;
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === '*' && g[i + 1] === '*') {
      i++;
      if (g[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${re}$` : `(?:^|/)${re}$`, 's');
}

export class ExcludeMatcher {
  private readonly compiled: { rule: ExcludeRule; re: RegExp }[];

  constructor(userGlobs: string[], defaults: ExcludeRule[] = DEFAULT_EXCLUDES) {
    this.compiled = [...userGlobs.map((glob) => ({ rule: 'user' as const, glob })), ...defaults].map((rule) => ({ rule, re: globToRegExp(rule.glob) }));
  }

  /** The first rule that excludes any of the paths (a rename is excluded when either name is). */
  match(...paths: (string | null)[]): ExcludeRule | undefined {
    for (const { rule, re } of this.compiled) for (const p of paths) if (p !== null && re.test(p)) return rule;
    return undefined;
  }
}
