import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ApprovalsFile, compilePattern, matchPattern, type Security } from '@openclaw/policy';
import type { CheckDefinition, SafeFix } from '../check.js';
import type { DoctorContext } from '../context.js';

function permissionFixes(ctx: DoctorContext, path: string): SafeFix[] {
  const fixes: SafeFix[] = [];
  try {
    const f = lstatSync(path);
    if (f.isFile() && f.uid === ctx.uid && (f.mode & 0o077) !== 0)
      fixes.push({ path, kind: 'file', keep: 0o600, why: 'the approvals file is private to its owner' });
    const d = lstatSync(dirname(path));
    if (d.isDirectory() && d.uid === ctx.uid && (d.mode & 0o022) !== 0)
      fixes.push({ path: dirname(path), kind: 'dir', keep: 0o700, why: 'nobody else may replace the approvals file' });
  } catch {
    // nothing to fix where nothing can be inspected
  }
  return fixes;
}

export const approvalsValid: CheckDefinition = {
  id: 'approvals.valid',
  title: 'exec-approvals.json is valid and private',
  severity: 'high',
  async run(ctx) {
    const a = await ctx.approvals();
    const evidence = { path: a.path, status: a.status };
    if (a.status === 'missing') return { status: 'pass', detail: `no approvals file at ${a.path}: the defaults apply`, evidence };
    if (a.status === 'invalid') {
      return {
        status: 'fail',
        detail: `${a.error.reason} — every command is denied until it is fixed`,
        remediation: a.error.hint ?? null,
        evidence: { ...evidence, code: a.error.code },
        fixes: permissionFixes(ctx, a.path),
      };
    }
    const agents = Object.keys(a.file.agents ?? {});
    const patterns = Object.values(a.file.agents ?? {}).reduce((n, x) => n + (x.allowlist?.length ?? 0), 0);
    return {
      status: 'pass',
      detail: `${a.path}: version 1, ${agents.length} agent entr${agents.length === 1 ? 'y' : 'ies'}, ${patterns} allowlist patterns, mode 0600`,
      evidence: { ...evidence, agents, patterns },
    };
  },
};

/** Programs that run arbitrary code given as an argument: allowlisting one allows everything. */
const INTERPRETER =
  /^(sh|bash|dash|zsh|ksh|mksh|ash|fish|csh|tcsh|busybox|python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby[0-9.]*|irb|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish|Rscript|pwsh|osascript|awk|gawk|mawk|nawk|env|xargs|find)$/;
/** Canonical paths to test glob patterns against (a pattern like /usr/bin/* allows all of these). */
const INTERPRETER_PATHS = [
  'sh',
  'bash',
  'dash',
  'zsh',
  'python3',
  'python3.11',
  'python3.12',
  'perl',
  'node',
  'ruby',
  'php',
  'awk',
  'env',
  'xargs',
  'find',
].flatMap((n) => [`/usr/bin/${n}`, `/bin/${n}`, `/usr/local/bin/${n}`]);

export interface Weakening {
  where: string;
  what: string;
  severity: 'fail' | 'warn';
}

/** What in an approvals file (and the config) lets agents run more than an allowlist would. */
export function findWeakenings(
  file: ApprovalsFile | undefined,
  configSecurity: Security | undefined,
  configFallback: Security | undefined,
  home: string,
): Weakening[] {
  const out: Weakening[] = [];
  if (configSecurity === 'full')
    out.push({ where: 'openclaw.yaml tools.exec.security', what: 'security full: agents run any command on the host', severity: 'warn' });
  if (configFallback === 'full')
    out.push({ where: 'openclaw.yaml tools.exec.askFallback', what: 'askFallback full: without a human, anything runs', severity: 'warn' });
  if (!file) return out;
  const scopes: Array<[string, { security?: string | undefined; askFallback?: string | undefined }]> = [['defaults', file.defaults ?? {}]];
  for (const [id, agent] of Object.entries(file.agents ?? {})) scopes.push([`agents.${id}`, agent]);
  for (const [where, s] of scopes) {
    if (s.security === 'full') out.push({ where: `${where}.security`, what: 'security full: allows any command where the config does too', severity: 'warn' });
    if (s.askFallback === 'full') out.push({ where: `${where}.askFallback`, what: 'askFallback full: without a human, anything runs', severity: 'warn' });
  }
  for (const [id, agent] of Object.entries(file.agents ?? {})) {
    for (const [i, entry] of (agent.allowlist ?? []).entries()) {
      const where = `agents.${id}.allowlist[${i}] ${entry.pattern}`;
      const last = entry.pattern.split('/').pop() ?? '';
      if (!/[*?]/.test(entry.pattern)) {
        if (INTERPRETER.test(last))
          out.push({ where, what: `${last} runs any code it is given (sh -c, python -c …), so this allows everything`, severity: 'fail' });
        continue;
      }
      let compiled: ReturnType<typeof compilePattern>;
      try {
        compiled = compilePattern(entry.pattern, home);
      } catch {
        continue; // approvals.valid reports unusable patterns
      }
      const hits = INTERPRETER_PATHS.filter((p) => matchPattern(compiled, p));
      if (hits.length)
        out.push({
          where,
          what: `matches shells or interpreters (${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ', …' : ''}), so it allows everything`,
          severity: 'fail',
        });
    }
  }
  return out;
}

export const approvalsWeakening: CheckDefinition = {
  id: 'approvals.weakening',
  title: 'nothing weakens the policy (security full, shells or interpreters allowlisted)',
  severity: 'high',
  async run(ctx) {
    const [a, c] = await Promise.all([ctx.approvals(), ctx.config()]);
    if (a.status === 'invalid') return { status: 'skip', detail: 'the approvals file cannot be read (see approvals.valid)' };
    const exec = c.ok ? c.loaded.config.tools?.exec : undefined;
    const found = findWeakenings(a.status === 'ok' ? a.file : undefined, exec?.security, exec?.askFallback, ctx.env.HOME ?? ctx.home);
    const evidence = { findings: found };
    if (!found.length)
      return {
        status: 'pass',
        detail: a.status === 'ok' ? 'no full security, no shells or interpreters allowlisted' : 'no approvals file; the config does not set security full',
        evidence,
      };
    const fails = found.filter((f) => f.severity === 'fail');
    const shown = (fails.length ? fails : found).slice(0, 2).map((f) => `${f.where}: ${f.what}`);
    return {
      status: fails.length ? 'fail' : 'warn',
      detail: `${found.length} finding${found.length === 1 ? '' : 's'}: ${shown.join('; ')}${found.length > shown.length ? '; …' : ''}`,
      remediation: fails.length
        ? 'remove the entry (`openclaw approvals allowlist remove PATTERN --agent ID`) and allow the specific programs instead'
        : 'use security allowlist with specific executables unless this host is disposable',
      evidence,
    };
  },
};
