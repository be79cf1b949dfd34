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

/**
 * A glob without `/`, `?` or `**` tested on a path's last component: `*` (any run without `/`)
 * is then any run at all, so the glob is literal parts in order. The same answer as its RegExp
 * (globToRegExp), without compiling and tier-up of a RegExp per rule on every run.
 */
function nameMatcher(glob: string): ((name: string) => boolean) | undefined {
  if (/[/?]/.test(glob) || glob.includes('**')) return undefined;
  const parts = glob.split('*');
  const head = parts[0] as string;
  if (parts.length === 1) return (name) => name === head;
  const tail = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1);
  const least = parts.reduce((n, p) => n + p.length, 0);
  return (name) => {
    if (name.length < least || !name.startsWith(head) || !name.endsWith(tail)) return false;
    let at = head.length;
    const end = name.length - tail.length;
    for (const m of middle) {
      const i = name.indexOf(m, at);
      if (i === -1 || i + m.length > end) return false;
      at = i + m.length;
    }
    return true;
  };
}

export class ExcludeMatcher {
  private readonly compiled: { rule: ExcludeRule; name: ((name: string) => boolean) | undefined; re: RegExp | undefined }[];

  constructor(userGlobs: string[], defaults: ExcludeRule[] = DEFAULT_EXCLUDES) {
    this.compiled = [...userGlobs.map((glob) => ({ rule: 'user' as const, glob })), ...defaults].map((rule) => {
      const name = nameMatcher(rule.glob);
      return { rule, name, re: name ? undefined : globToRegExp(rule.glob) };
    });
  }

  /** The first rule that excludes any of the paths (a rename is excluded when either name is). */
  match(...paths: (string | null)[]): ExcludeRule | undefined {
    const names = paths.map((p) => (p === null ? null : p.slice(p.lastIndexOf('/') + 1)));
    for (const { rule, name, re } of this.compiled) {
      for (const [i, p] of paths.entries()) {
        if (p === null) continue;
        if (name ? name(names[i] as string) : (re as RegExp).test(p)) return rule;
      }
    }
    return undefined;
  }
}
