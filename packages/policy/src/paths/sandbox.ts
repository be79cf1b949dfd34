/**
 * The path sandbox: a path a job uses must resolve — realpath, following every symlink — inside its
 * root. `..` components, absolute paths outside the root, symlinks leading out and NUL bytes are
 * refused. A path that does not exist yet is checked through its nearest existing ancestor.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export type PathCheck = { ok: true; path: string } | { ok: false; code: string; reason: string };

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

export function resolveInsideRoot(root: string, candidate: string): PathCheck {
  if (candidate.includes('\0') || root.includes('\0')) return { ok: false, code: 'nul_byte', reason: 'path contains a NUL byte' };
  if (candidate === '') return { ok: false, code: 'empty_path', reason: 'path is empty' };
  if (candidate.split(/[/\\]/).includes('..')) return { ok: false, code: 'dot_dot', reason: `path ${JSON.stringify(candidate)} contains ".."` };
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { ok: false, code: 'root_missing', reason: `sandbox root ${root} does not exist` };
  }
  const target = resolve(realRoot, candidate);
  if (!inside(realRoot, target)) return { ok: false, code: 'outside_root', reason: `${candidate} is outside ${realRoot}` };
  // Follow symlinks: the nearest existing ancestor's real path must stay inside.
  let existing = target;
  let suffix = '';
  for (;;) {
    try {
      const real = realpathSync(existing);
      const full = suffix ? resolve(real, suffix) : real;
      if (!inside(realRoot, full)) return { ok: false, code: 'symlink_escape', reason: `${candidate} leads outside ${realRoot} through a symlink` };
      return { ok: true, path: full };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { ok: false, code: 'unreadable', reason: `${candidate}: ${code}` };
      const parent = dirname(existing);
      if (parent === existing) return { ok: false, code: 'outside_root', reason: `${candidate} is outside ${realRoot}` };
      suffix = suffix ? `${existing.slice(parent.length + 1)}/${suffix}` : existing.slice(parent.length + 1);
      existing = parent;
    }
  }
}
