/**
 * Allowlist edits (`approvals allowlist add|remove`, the endpoint's allow-always) and the warnings a
 * human needs before widening what agents may run: a pattern naming a symlink never matches
 * (patterns match canonical paths), and a shell or an interpreter lets an agent run anything.
 */
import { randomUUID } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import {
  type AllowlistEntry,
  compilePattern,
  DEFAULT_POLICY_PATH,
  ExitCode,
  matchPattern,
  OpenclawError,
  patternError,
  resolveExecutable,
  userHome,
} from '@openclaw/policy';
import { type ApprovalsDocument, type UpdateResult, updateApprovalsFile } from './write.js';

export const SHARED_AGENT = '*';
const AGENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

const SHELLS = new Set(['sh', 'bash', 'rbash', 'dash', 'zsh', 'ksh', 'mksh', 'pdksh', 'yash', 'fish', 'csh', 'tcsh', 'ash', 'busybox', 'pwsh']);
const INTERPRETER =
  /^(python|pypy|perl|ruby|irb|php|lua|luajit|node|nodejs|deno|bun|tclsh|wish|expect|Rscript|R|julia|osascript|awk|gawk|mawk|nawk|jshell|groovy|scala|guile|racket|sbcl|ghci|runghc|elixir|erl|escript)(\d+(\.\d+)*)?$/;
/** Names looked up on the policy PATH to see whether a wildcard pattern covers a shell or interpreter. */
const PROBE_NAMES = [
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'fish',
  'busybox',
  'python3',
  'python',
  'perl',
  'ruby',
  'node',
  'nodejs',
  'php',
  'lua',
  'awk',
  'tclsh',
];

export interface PatternWarning {
  code: 'symlink' | 'shell' | 'interpreter' | 'covers_interpreters' | 'not_found';
  message: string;
  /** The canonical path to allowlist instead, when there is one. */
  suggestion?: string;
}

export function executableKind(path: string): 'shell' | 'interpreter' | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (SHELLS.has(name)) return 'shell';
  if (INTERPRETER.test(name)) return 'interpreter';
  return undefined;
}

export function validateAgentId(agent: string): void {
  if (agent !== SHARED_AGENT && !AGENT_ID.test(agent))
    throw new OpenclawError({
      code: 'usage',
      reason: `agent id ${JSON.stringify(agent)} is not valid: use letters, digits, _ . - (or "*" for every agent)`,
      exitCode: ExitCode.usage,
    });
}

function validatePattern(pattern: string): void {
  const problem = patternError(pattern);
  if (problem)
    throw new OpenclawError({
      code: 'invalid_pattern',
      reason: problem,
      hint: 'give the executable’s full path, e.g. `openclaw approvals allowlist add /usr/bin/git`',
      exitCode: ExitCode.usage,
    });
}

const kindWarning = (path: string, kind: 'shell' | 'interpreter', via?: string): PatternWarning => ({
  code: kind,
  message: `${via ? `${via} → ` : ''}${path} is ${kind === 'shell' ? 'a shell' : 'an interpreter'}: allowlisting it lets an agent run arbitrary code (\`${path.slice(path.lastIndexOf('/') + 1)} -c …\`); prefer the scripts or tools it would run`,
});

/** What a human should know before adding `pattern` (nothing here blocks the add). */
export function allowlistWarnings(pattern: string, opts: { home?: string; pathDirs?: readonly string[] } = {}): PatternWarning[] {
  const home = opts.home ?? userHome();
  const compiled = compilePattern(pattern, home);
  const warnings: PatternWarning[] = [];
  if (compiled.exact !== undefined) {
    const path = compiled.exact;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      return [{ code: 'not_found', message: `${path} does not exist (yet): the pattern matches only once a file is there` }];
    }
    let real = path;
    if (st.isSymbolicLink()) {
      try {
        real = realpathSync(path);
        warnings.push({
          code: 'symlink',
          message: `${path} is a symlink to ${real}: patterns match the canonical path, so this pattern never matches; allowlist ${real} instead`,
          suggestion: real,
        });
      } catch {
        warnings.push({ code: 'symlink', message: `${path} is a dangling symlink: the pattern never matches` });
      }
    }
    const kind = executableKind(real) ?? executableKind(path);
    if (kind) warnings.push(kindWarning(real, kind, real !== path ? path : undefined));
    return warnings;
  }
  const covered = new Set<string>();
  for (const name of PROBE_NAMES) {
    const r = resolveExecutable(name, '/', opts.pathDirs ?? DEFAULT_POLICY_PATH);
    if (r.ok && matchPattern(compiled, r.realPath)) covered.add(r.realPath);
  }
  try {
    for (const line of readFileSync('/etc/shells', 'utf8').split('\n')) {
      if (!line.startsWith('/')) continue;
      try {
        const real = realpathSync(line.trim());
        if (matchPattern(compiled, real)) covered.add(real);
      } catch {
        // a listed shell that is not installed
      }
    }
  } catch {
    // no /etc/shells
  }
  if (covered.size > 0) {
    const list = [...covered].sort();
    warnings.push({
      code: 'covers_interpreters',
      message: `${pattern} matches ${list.slice(0, 5).join(', ')}${list.length > 5 ? ` and ${list.length - 5} more` : ''}: shells and interpreters let an agent run arbitrary code; narrow the pattern`,
    });
  }
  return warnings;
}

export interface AllowlistChange extends UpdateResult {
  agent: string;
  entry?: AllowlistEntry;
  /** add: false when the pattern was already there. remove: how many entries went. */
  added?: boolean;
  removed?: AllowlistEntry[];
}

/** Adds `pattern` to `agent`'s allowlist (`*`: every agent) unless it is already there. */
export async function addAllowlistPattern(
  path: string,
  pattern: string,
  agent: string = SHARED_AGENT,
  extra: Partial<AllowlistEntry> & Record<string, unknown> = {},
): Promise<AllowlistChange> {
  validateAgentId(agent);
  validatePattern(pattern);
  let entry: AllowlistEntry | undefined;
  let added = false;
  const result = await updateApprovalsFile(path, (doc: ApprovalsDocument) => {
    const agents = (doc.agents ??= {});
    const target = (agents[agent] ??= {});
    const list = (target.allowlist ??= []);
    entry = list.find((e) => e.pattern === pattern);
    if (entry) return undefined;
    entry = { id: randomUUID(), pattern, ...extra };
    list.push(entry);
    added = true;
    return doc;
  });
  return { ...result, agent, added, ...(entry ? { entry } : {}) };
}

/**
 * Removes the entries of `agent` whose pattern (or id) is `patternOrId`. Allowed on a file whose
 * content is invalid when the result is valid: removing a bad pattern is how a user repairs it.
 */
export async function removeAllowlistPattern(path: string, patternOrId: string, agent: string = SHARED_AGENT): Promise<AllowlistChange> {
  validateAgentId(agent);
  const removed: AllowlistEntry[] = [];
  const result = await updateApprovalsFile(
    path,
    (doc: ApprovalsDocument) => {
      const list = doc.agents?.[agent]?.allowlist;
      if (!Array.isArray(list)) return undefined;
      const keep = list.filter((e) => {
        const hit = typeof e === 'object' && e !== null && (e.pattern === patternOrId || e.id === patternOrId);
        if (hit) removed.push(e);
        return !hit;
      });
      if (removed.length === 0) return undefined;
      (doc.agents as NonNullable<ApprovalsDocument['agents']>)[agent] = { ...doc.agents?.[agent], allowlist: keep };
      return doc;
    },
    { mayReplaceInvalidContent: true },
  );
  if (removed.length === 0)
    throw new OpenclawError({
      code: 'allowlist_entry_not_found',
      reason: `no allowlist entry ${JSON.stringify(patternOrId)} for agent ${agent}`,
      hint: `list the entries with \`openclaw approvals get\`${agent === SHARED_AGENT ? ' (use --agent ID for an agent’s own list)' : ''}`,
    });
  return { ...result, agent, removed };
}
