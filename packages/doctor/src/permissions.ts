/**
 * `openclaw doctor --fix`: the only changes the doctor makes. Each one removes access bits from a
 * path the current user owns (chmod), never follows a symlink, never adds a bit, and never opens
 * the file — secrets and state are not read or rewritten.
 */
import { chmodSync, lstatSync } from 'node:fs';
import type { SafeFix } from './check.js';

export const modeText = (m: number): string => (m & 0o777).toString(8).padStart(4, '0');

export interface AppliedFix {
  path: string;
  why: string;
  before: string | null;
  after: string | null;
  applied: boolean;
  /** Why it was not applied. */
  refused?: string;
}

export function applySafeFix(fix: SafeFix, uid: number | undefined): AppliedFix {
  const base = { path: fix.path, why: fix.why };
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(fix.path);
  } catch (e) {
    return { ...base, before: null, after: null, applied: false, refused: `cannot inspect it (${(e as NodeJS.ErrnoException).code})` };
  }
  const before = modeText(st.mode);
  if (st.isSymbolicLink()) return { ...base, before, after: before, applied: false, refused: 'it is a symlink; fix its target by hand' };
  if (fix.kind === 'dir' ? !st.isDirectory() : !st.isFile())
    return { ...base, before, after: before, applied: false, refused: `it is not a ${fix.kind === 'dir' ? 'directory' : 'regular file'}` };
  if (uid !== undefined && st.uid !== uid) return { ...base, before, after: before, applied: false, refused: `it is owned by uid ${st.uid}, not by you` };
  const mode = st.mode & 0o777 & fix.keep;
  if (mode === (st.mode & 0o777)) return { ...base, before, after: before, applied: false, refused: 'nothing to change' };
  try {
    chmodSync(fix.path, mode);
  } catch (e) {
    return { ...base, before, after: before, applied: false, refused: `chmod failed (${(e as NodeJS.ErrnoException).code})` };
  }
  return { ...base, before, after: modeText(mode), applied: true };
}
