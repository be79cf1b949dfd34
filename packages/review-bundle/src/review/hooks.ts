/**
 * `hooks install`: the pre-push hook that runs `openclaw review gate`, in the repository's hooks
 * directory (`.githooks` by default, the tracked convention), with `core.hooksPath` pointing at it.
 * The hook calls `openclaw` from PATH and refuses the push when it cannot; it reads no environment
 * switch that could skip the gate. An existing hook or hooksPath that is not ours is left alone
 * unless --force.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OpenclawError } from '@openclaw/policy/errors';
import { gitText, repoRoot, runGit } from '../git/run.js';

const MARKER = '# openclaw pre-push gate';

export const PRE_PUSH_HOOK = `#!/bin/sh
${MARKER} (installed by \`openclaw hooks install\`; reinstall rather than edit).
# Refuses the push unless a real review (openclaw review run) approved exactly the pushed range.
if ! command -v openclaw >/dev/null 2>&1; then
  echo "pre-push: openclaw is not on PATH, so the review gate cannot run; the push is refused" >&2
  echo "hint: install openclaw or add it to PATH, then push again" >&2
  exit 1
fi
exec openclaw review gate --remote "$1"
`;

export interface HooksInstallResult {
  hooks_path: string;
  pre_push: string;
  changed: boolean;
  notes: string[];
}

export function installHooks(o: { repo: string; dir?: string; force?: boolean }): HooksInstallResult {
  const repo = repoRoot(o.repo);
  const dir = o.dir ?? '.githooks';
  const current = runGit(repo, ['config', '--get', 'core.hooksPath']).stdout.toString('utf8').trim();
  const notes: string[] = [];
  if (current && resolve(repo, current) !== resolve(repo, dir) && !o.force) {
    throw new OpenclawError({
      code: 'hooks_path_taken',
      reason: `core.hooksPath is already ${current}; pointing it at ${dir} would stop the hooks there from running`,
      hint: `move those hooks into ${dir}, or pass --dir ${current} (or --force)`,
    });
  }
  const hooksDir = resolve(repo, dir);
  const hook = join(hooksDir, 'pre-push');
  let changed = false;
  if (existsSync(hook)) {
    const text = readFileSync(hook, 'utf8');
    if (!text.includes(MARKER) && !o.force) {
      throw new OpenclawError({
        code: 'hook_exists',
        reason: `${hook} exists and is not openclaw's`,
        hint: 'merge it by hand (call `openclaw review gate --remote "$1"` from it), or pass --force to replace it',
      });
    }
    if (text !== PRE_PUSH_HOOK) changed = true;
  } else changed = true;
  mkdirSync(hooksDir, { recursive: true });
  if (changed) writeFileSync(hook, PRE_PUSH_HOOK);
  chmodSync(hook, 0o755);
  if (current !== dir) {
    gitText(repo, ['config', 'core.hooksPath', dir]);
    changed = true;
  }
  const legacy = join(gitText(repo, ['rev-parse', '--path-format=absolute', '--git-common-dir']), 'hooks');
  if (resolve(legacy) !== hooksDir && existsSync(join(legacy, 'pre-push'))) notes.push(`${join(legacy, 'pre-push')} no longer runs (core.hooksPath is ${dir})`);
  return { hooks_path: dir, pre_push: hook, changed, notes };
}
