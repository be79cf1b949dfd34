import { accessSync, existsSync, constants as fsc, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { allowlistPath, loadJobAllowlist, loadRepoAllowlist, OpenclawError } from '@openclaw/policy';
import type { CheckDefinition } from '../check.js';

export const repoHooks: CheckDefinition = {
  id: 'repo.hooks',
  title: 'this repository gates pushes with hooks (core.hooksPath, pre-push)',
  severity: 'low',
  async run(ctx) {
    const top = await ctx.probe('git', ['rev-parse', '--show-toplevel']);
    if (top.error === 'not_found') return { status: 'skip', detail: 'git is not installed' };
    if (!top.ok) return { status: 'skip', detail: `${ctx.cwd} is not in a git repository (run doctor inside one to check its hooks)` };
    const root = top.stdout.trim();
    const [hooksPathR, gitPathR] = await Promise.all([
      ctx.probe('git', ['config', '--get', 'core.hooksPath']),
      ctx.probe('git', ['rev-parse', '--git-path', 'hooks']),
    ]);
    const hooksPath = hooksPathR.ok ? hooksPathR.stdout.trim() : null;
    const hasGithooks = existsSync(join(root, '.githooks'));
    const hooksDir = hooksPath
      ? isAbsolute(hooksPath)
        ? hooksPath
        : join(root, hooksPath)
      : join(isAbsolute(gitPathR.stdout.trim()) ? '' : root, gitPathR.stdout.trim());
    const prePush = join(hooksDir, 'pre-push');
    let prePushOk = false;
    try {
      accessSync(prePush, fsc.X_OK);
      prePushOk = statSync(prePush).isFile();
    } catch {
      prePushOk = false;
    }
    const evidence = { repo: root, hooks_path: hooksPath, githooks_dir: hasGithooks, pre_push: prePushOk ? prePush : null };
    if (hasGithooks && hooksPath !== '.githooks')
      return {
        status: 'warn',
        detail: `${root} has .githooks/ but core.hooksPath is ${hooksPath ?? 'unset'}: its hooks do not run`,
        remediation: `git -C ${root} config core.hooksPath .githooks`,
        evidence,
      };
    if (!prePushOk)
      return {
        status: 'warn',
        detail: `${root}: no executable pre-push hook, so pushes are not gated by review`,
        remediation: `openclaw hooks install --repo ${root} (its pre-push hook runs openclaw review gate)`,
        evidence,
      };
    return { status: 'pass', detail: `${root}: pre-push hook at ${prePush}`, evidence };
  },
};

export const allowlistsValid: CheckDefinition = {
  id: 'allowlists.valid',
  title: 'job and repo allowlists load and validate',
  severity: 'high',
  async run(ctx) {
    const c = await ctx.config();
    if (!c.ok) return { status: 'skip', detail: 'the config is invalid (see config.valid); its allowlist paths cannot be trusted' };
    const { config, file } = c.loaded;
    const results = await Promise.all(
      (['jobs', 'repos'] as const).map(async (kind) => {
        let path: string | undefined;
        try {
          path = allowlistPath(kind, config, file, ctx.env);
          const loaded = kind === 'jobs' ? await loadJobAllowlist(path) : await loadRepoAllowlist(path);
          const count = Object.keys(kind === 'jobs' ? (loaded as { jobs: object }).jobs : (loaded as { repos: object }).repos).length;
          return { kind, path, ok: true as const, count };
        } catch (e) {
          const reason = e instanceof OpenclawError ? e.reason : String(e);
          return { kind, path: path ?? null, ok: false as const, reason, hint: e instanceof OpenclawError ? (e.hint ?? null) : null };
        }
      }),
    );
    const evidence = { allowlists: results };
    const bad = results.filter((r) => !r.ok);
    if (bad.length)
      return {
        status: 'fail',
        detail: bad.map((r) => `${r.kind}: ${'reason' in r ? r.reason.split('\n')[0] : ''}`).join('; '),
        remediation: bad.map((r) => ('hint' in r ? r.hint : null)).find((h) => h) ?? null,
        evidence,
      };
    return {
      status: 'pass',
      detail: results.map((r) => `${'count' in r ? r.count : 0} ${r.kind === 'jobs' ? 'job types' : 'repos'} (${r.path})`).join(', '),
      evidence,
    };
  },
};
