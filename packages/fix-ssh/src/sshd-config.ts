/**
 * Reading sshd_config the way sshd does — the main file, then each Include (globs sorted, relative
 * paths under /etc/ssh, nested up to 16 deep, remembering whether an Include sits inside a Match
 * block) — and planning the two edits fix-ssh makes: a drop-in sshd reads first, and commenting
 * out every other ListenAddress/AddressFamily line (ListenAddress accumulates across files and
 * AddressFamily keeps its first value, so leaving either elsewhere would defeat the drop-in).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Journal } from './journal.js';
import type { HostPaths } from './paths.js';

export const MAIN_CONFIG = '/etc/ssh/sshd_config';
export const DROPIN = '/etc/ssh/sshd_config.d/00-openclaw-tailnet.conf';
/** Used when the sshd_config.d glob is only read inside a Match block (the drop-in cannot go there). */
export const DROPIN_OUTSIDE_GLOB = '/etc/ssh/openclaw-tailnet.conf';
export const MARKER = '#openclaw-fix-ssh#';
const SSHDIR = '/etc/ssh';
const MAX_DEPTH = 16;
const CONFLICTING = /^\s*(listenaddress|addressfamily)(\s|=)/i;

export interface IncludeRef {
  /** Real path of the file holding the Include line, and its 1-based line. */
  file: string;
  line: number;
  /** Real-path patterns (already mapped into the test root). */
  patterns: string[];
  inMatch: boolean;
}

export interface ConfigTree {
  main: string;
  /** Every file sshd reads, in order (real paths), the main file first. */
  files: string[];
  includes: IncludeRef[];
}

/** Keyword and arguments of a config line; null for blanks and comments. */
export function directive(line: string): { keyword: string; args: string[] } | null {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return null;
  const m = t.match(/^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)?(.*)$/);
  if (!m) return null;
  const args = [...(m[2] ?? '').matchAll(/"([^"]*)"|(\S+)/g)].map((a) => (a[1] ?? a[2]) as string);
  return { keyword: (m[1] as string).toLowerCase(), args };
}

function globToRegex(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

const hasGlob = (s: string) => /[*?[]/.test(s);

/** Files a glob names, sorted as glob(3) in the C locale sorts them (globs in the last component only). */
export function expandInclude(pattern: string): string[] {
  if (!hasGlob(pattern)) {
    try {
      return statSync(pattern).isFile() ? [pattern] : [];
    } catch {
      return [];
    }
  }
  const dir = dirname(pattern);
  if (hasGlob(dir)) throw new Error(`Include ${pattern}: globs in directory names are not supported by fix-ssh`);
  const re = globToRegex(basename(pattern));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n) && !n.startsWith('.'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
}

/** Whether an Include pattern (real path) names `path` (real path). */
export function includeMatches(pattern: string, path: string): boolean {
  if (!hasGlob(pattern)) return pattern === path;
  return dirname(pattern) === dirname(path) && globToRegex(basename(pattern)).test(basename(path));
}

export function readConfigTree(paths: HostPaths, journal: Journal): ConfigTree {
  const main = paths.at(MAIN_CONFIG);
  const tree: ConfigTree = { main, files: [], includes: [] };
  let inMatch = false;
  const visit = (file: string, depth: number) => {
    if (depth > MAX_DEPTH) throw new Error(`Include nesting deeper than ${MAX_DEPTH} at ${paths.host(file)}`);
    const text = journal.read(file);
    if (text === null) throw new Error(`${paths.host(file)} does not exist`);
    tree.files.push(file);
    text.split('\n').forEach((line, i) => {
      const d = directive(line);
      if (!d) return;
      if (d.keyword === 'match') inMatch = !(d.args.length === 1 && d.args[0]?.toLowerCase() === 'all');
      if (d.keyword !== 'include') return;
      const patterns = d.args.map((a) => paths.at(isAbsolute(a) ? a : join(SSHDIR, a)));
      tree.includes.push({ file, line: i + 1, patterns, inMatch });
      for (const p of patterns) for (const f of expandInclude(p)) visit(f, depth + 1);
    });
  };
  visit(main, 0);
  return tree;
}

export interface DropInPlan {
  /** Host path of the drop-in. */
  dropin: string;
  /** The main file needs an Include line for it (none reaches it outside a Match block). */
  insertInclude: boolean;
  why: string;
}

export function planDropIn(tree: ConfigTree, paths: HostPaths): DropInPlan {
  const real = paths.at(DROPIN);
  const reaching = tree.includes.filter((inc) => inc.patterns.some((p) => includeMatches(p, real)));
  const usable = reaching.find((inc) => !inc.inMatch);
  if (usable) return { dropin: DROPIN, insertInclude: false, why: `${paths.host(usable.file)}:${usable.line} includes it outside any Match block` };
  if (reaching.length)
    return {
      dropin: DROPIN_OUTSIDE_GLOB,
      insertInclude: true,
      why: `${paths.host(reaching[0]?.file as string)}:${reaching[0]?.line} includes sshd_config.d only inside a Match block, so the drop-in goes to ${DROPIN_OUTSIDE_GLOB}, included at the top of ${MAIN_CONFIG}`,
    };
  return { dropin: DROPIN, insertInclude: true, why: `${MAIN_CONFIG} has no Include for sshd_config.d, so one is added at its top` };
}

export function dropInContent(ip: string, ports: readonly number[]): string {
  return [
    "# Written by `openclaw fix-ssh`: sshd listens only on this host's Tailscale address.",
    `# sshd reads this file first and keeps the first AddressFamily it sees; every other`,
    `# ListenAddress/AddressFamily line is commented out with "${MARKER}".`,
    '# Authentication settings are not changed here. Backups: /var/backups/openclaw-fix-ssh/',
    'AddressFamily inet',
    ...ports.map((p) => `ListenAddress ${ip}:${p}`),
    '',
  ].join('\n');
}

/** The main file with an Include of the drop-in as its first directive. */
export function withIncludeAtTop(mainText: string, includePath: string): string {
  return `${MARKER} added by \`openclaw fix-ssh\`: read the tailnet-only settings before anything else\nInclude ${includePath}\n${mainText}`;
}

export interface Neutralised {
  file: string;
  line: number;
  text: string;
}

/** Comments out ListenAddress/AddressFamily lines; returns the new text and what changed. */
export function neutraliseConflicts(text: string): { text: string; lines: Array<{ line: number; text: string }> } {
  const changed: Array<{ line: number; text: string }> = [];
  const out = text.split('\n').map((line, i) => {
    if (!CONFLICTING.test(line)) return line;
    changed.push({ line: i + 1, text: line.trim() });
    return `${MARKER} ${line}`;
  });
  return { text: out.join('\n'), lines: changed };
}

/** Ports sshd listens on according to the files alone (used only when `sshd -T` cannot run). */
export function portsFromFiles(tree: ConfigTree, journal: Journal): number[] {
  const ports = new Set<number>();
  let listenWithoutPort = false;
  let anyListen = false;
  const portLines: number[] = [];
  for (const file of tree.files) {
    for (const line of (journal.read(file) ?? '').split('\n')) {
      const d = directive(line);
      if (!d) continue;
      if (d.keyword === 'port') portLines.push(...d.args.map(Number).filter((n) => Number.isInteger(n) && n > 0 && n < 65_536));
      if (d.keyword === 'listenaddress') {
        anyListen = true;
        const m = (d.args[0] ?? '').match(/^(?:\[[^\]]+\]|[^:]+):(\d+)$/);
        if (m) ports.add(Number(m[1]));
        else listenWithoutPort = true;
      }
    }
  }
  if (!anyListen || listenWithoutPort) for (const p of portLines.length ? portLines : [22]) ports.add(p);
  return [...ports].sort((a, b) => a - b);
}
