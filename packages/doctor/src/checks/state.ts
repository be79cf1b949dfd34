import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { CheckDefinition, SafeFix } from '../check.js';
import { modeText } from '../permissions.js';

/** Directories under $OPENCLAW_HOME whose files are private (state databases, keys, secrets). */
const PRIVATE_DIRS = ['state', 'secrets', 'keys'];
const MAX_ENTRIES = 2000;

interface Problem {
  path: string;
  mode: string;
  problem: string;
}

export const statePermissions: CheckDefinition = {
  id: 'state.permissions',
  title: '$OPENCLAW_HOME, state and secrets are private',
  severity: 'critical',
  async run(ctx) {
    const home = ctx.home;
    let st: Stats;
    try {
      st = lstatSync(home);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return { status: 'skip', detail: `${home} does not exist yet (it is created 0700 on first use)`, evidence: { home } };
      return { status: 'unknown', detail: `cannot inspect ${home} (${(e as NodeJS.ErrnoException).code})`, evidence: { home } };
    }
    const problems: Problem[] = [];
    const fixes: SafeFix[] = [];
    const mine = (s: Stats) => ctx.uid === undefined || s.uid === ctx.uid;
    if (st.isSymbolicLink()) problems.push({ path: home, mode: modeText(st.mode), problem: 'is a symlink (state could be redirected)' });
    else if (!st.isDirectory()) problems.push({ path: home, mode: modeText(st.mode), problem: 'is not a directory' });
    else {
      if (!mine(st)) problems.push({ path: home, mode: modeText(st.mode), problem: `is owned by uid ${st.uid}` });
      if ((st.mode & 0o077) !== 0) {
        problems.push({ path: home, mode: modeText(st.mode), problem: 'is open to group or others (want 0700)' });
        if (mine(st)) fixes.push({ path: home, kind: 'dir', keep: 0o700, why: '$OPENCLAW_HOME is private' });
      }
      let seen = 0;
      for (const name of PRIVATE_DIRS) {
        const dir = join(home, name);
        let d: Stats;
        try {
          d = lstatSync(dir);
        } catch {
          continue;
        }
        if (d.isSymbolicLink()) {
          problems.push({ path: dir, mode: modeText(d.mode), problem: 'is a symlink' });
          continue;
        }
        if (!d.isDirectory()) continue;
        if ((d.mode & 0o077) !== 0) {
          problems.push({ path: dir, mode: modeText(d.mode), problem: 'is open to group or others (want 0700)' });
          if (mine(d)) fixes.push({ path: dir, kind: 'dir', keep: 0o700, why: `${name}/ is private` });
        }
        for (const entry of readdirSync(dir)) {
          if (++seen > MAX_ENTRIES) break;
          const p = join(dir, entry);
          const f = lstatSync(p);
          if (f.isSymbolicLink()) problems.push({ path: p, mode: modeText(f.mode), problem: 'is a symlink' });
          else if (f.isFile() && (f.mode & 0o077) !== 0) {
            problems.push({ path: p, mode: modeText(f.mode), problem: 'is readable or writable by group or others (want 0600)' });
            if (mine(f)) fixes.push({ path: p, kind: 'file', keep: 0o600, why: `${name}/ files are private` });
          } else if (f.isFile() && !mine(f)) problems.push({ path: p, mode: modeText(f.mode), problem: `is owned by uid ${f.uid}` });
        }
      }
    }
    const evidence = { home, mode: modeText(st.mode), problems };
    if (!problems.length) return { status: 'pass', detail: `${home} is ${modeText(st.mode)}; state and secrets are private`, evidence };
    return {
      status: 'fail',
      detail: `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems
        .slice(0, 2)
        .map((p) => `${p.path} ${p.problem}`)
        .join('; ')}${problems.length > 2 ? '; …' : ''}`,
      remediation: fixes.length
        ? '`openclaw doctor --fix` tightens the permissions (chmod only; contents are never read)'
        : 'fix ownership and symlinks by hand',
      evidence,
      fixes,
    };
  },
};
