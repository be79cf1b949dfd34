/**
 * doctor_task and review_bundle_task run the openclaw binary itself as a subprocess inside the
 * executor — not by importing @openclaw/doctor or @openclaw/review-bundle (doctor imports exec, so
 * that would be a cycle), and so each report is exactly what a user running the command gets.
 *
 * The CLI is `[node, entry]`: this process's node and the bundled `dist/run.js`, found from
 * OPENCLAW_CLI_ENTRY (set by bin/openclaw), else the running CLI (argv[1]), else the repository's
 * build next to this package (tests).
 *
 *   - doctor_task (job spec host: gateway — doctor measures this host, which a sandbox would hide):
 *     `openclaw doctor --json [--only …]` → `doctor.json`. A report with failing checks completes
 *     the job (the findings are its result, listed as warnings); no report fails it.
 *   - review_bundle_task: `openclaw review-bundle --since SHA --size-cap CAP --out $ARTIFACT_DIR/review
 *     --json` in the read-only worktree, inside the sandbox (the openclaw install bound read-only).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxBind } from '../../sandbox/bwrap.js';
import type { JobHandler } from '../handler.js';

export function openclawCli(env: NodeJS.ProcessEnv = process.env, argv1: string = process.argv[1] ?? ''): string[] | null {
  const candidates = [env.OPENCLAW_CLI_ENTRY, argv1.endsWith(`${sep}dist${sep}run.js`) ? argv1 : undefined];
  try {
    candidates.push(fileURLToPath(new URL('../../../../cli/dist/run.js', import.meta.url)));
  } catch {}
  const entry = candidates.find((c) => c && existsSync(c));
  return entry ? [process.execPath, entry] : null;
}

/** What the sandbox must show for the CLI to run: node and the install (the repo root when it is a checkout). */
function cliBinds(cli: string[]): SandboxBind[] {
  const entry = cli[1] as string;
  const pkg = dirname(dirname(entry));
  const root = pkg.endsWith(`${sep}packages${sep}cli`) ? dirname(dirname(pkg)) : pkg;
  return [
    { path: cli[0] as string, writable: false },
    { path: root, writable: false },
  ];
}

const noCli = {
  state: 'failed' as const,
  error: 'the openclaw CLI entry (dist/run.js) was not found; rebuild openclaw',
  result: { code: 'openclaw_cli_missing' },
};

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const runDoctorTask: JobHandler = async (ctx) => {
  const cli = ctx.runtime.cli ?? openclawCli();
  if (!cli) return noCli;
  const only = ctx.validated.params.only;
  const argv = [...cli, 'doctor', '--json', ...(only ? ['--only', String(only)] : [])];
  const run = await ctx.runCommands([{ file: cli[0] as string, argv }], {
    cwd: ctx.artifactDir,
    artifactEnv: true,
    env: { OPENCLAW_HOME: ctx.runtime.openclawHome, NO_COLOR: '1' },
    binds: cliBinds(cli),
  });
  const e = run.evidence[0];
  const report = parseJson(e?.stdout ?? '');
  const result = { exit_code: run.exitCode, timed_out: run.timedOut };
  if (!report)
    return { state: 'failed', error: `doctor gave no JSON report (exit ${run.exitCode}): ${(e?.stderr || e?.error || '').trim().slice(0, 500)}`, result };
  writeFileSync(join(ctx.artifactDir, 'doctor.json'), `${JSON.stringify(report, null, 1)}\n`);
  const checks = Array.isArray(report.checks) ? (report.checks as { id?: string; status?: string }[]) : [];
  const counts: Record<string, number> = {};
  for (const c of checks) counts[c.status ?? 'unknown'] = (counts[c.status ?? 'unknown'] ?? 0) + 1;
  const failing = checks.filter((c) => c.status === 'fail').map((c) => `doctor check ${c.id} failed`);
  if (run.exitCode !== 0 && run.exitCode !== 3)
    return { state: 'failed', error: `doctor exited ${run.exitCode}`, result: { ...result, counts }, outputs: ['doctor.json'] };
  return { state: 'completed', result: { ...result, checks: checks.length, counts }, outputs: ['doctor.json'], warnings: failing };
};

export const runReviewBundleTask: JobHandler = async (ctx) => {
  const cli = ctx.runtime.cli ?? openclawCli();
  if (!cli) return noCli;
  const co = await ctx.checkout();
  const out = join(ctx.artifactDir, 'review');
  const argv = [
    ...cli,
    'review-bundle',
    '--json',
    '--repo',
    co.dir,
    '--since',
    String(ctx.validated.params.since),
    '--to',
    co.head,
    '--size-cap',
    String(ctx.validated.params.size_cap ?? '100kb'),
    '--out',
    out,
  ];
  const run = await ctx.runCommands([{ file: cli[0] as string, argv }], {
    cwd: co.dir,
    // Inside the sandbox $OPENCLAW_HOME is hidden; the child gets a private one in its /tmp.
    env: { OPENCLAW_HOME: '/tmp/openclaw-home', NO_COLOR: '1' },
    binds: cliBinds(cli),
  });
  const e = run.evidence[0];
  const report = parseJson(e?.stdout ?? '');
  const result = { head: co.head, since: ctx.validated.params.since, exit_code: run.exitCode, timed_out: run.timedOut };
  if (run.exitCode !== 0 || !report)
    return { state: 'failed', error: `review-bundle exited ${run.exitCode}: ${(e?.stderr || e?.error || e?.stdout || '').trim().slice(0, 500)}`, result };
  writeFileSync(join(ctx.artifactDir, 'review-bundle.json'), `${JSON.stringify(report, null, 1)}\n`);
  const sizeCap = report.size_cap_exceeded === true;
  return {
    state: 'completed',
    result: { ...result, size_cap_exceeded: sizeCap },
    outputs: ['review-bundle.json', 'review/'],
    warnings: sizeCap ? ['SIZE_CAP_EXCEEDED'] : [],
  };
};
