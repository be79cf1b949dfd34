/**
 * repo_index_task: an index of the repository at the pinned commit — every file's path, size and
 * language, totals per language, and the git HEAD — written to `index.json` in the artifact dir.
 * Stops after `max_files` files (recorded as a warning). Symlinks are listed, never followed.
 */
import { lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { JobHandler } from '../handler.js';

const BY_EXTENSION: Record<string, string> = {
  '.ts': 'TypeScript',
  '.tsx': 'TypeScript',
  '.mts': 'TypeScript',
  '.cts': 'TypeScript',
  '.js': 'JavaScript',
  '.jsx': 'JavaScript',
  '.mjs': 'JavaScript',
  '.cjs': 'JavaScript',
  '.py': 'Python',
  '.go': 'Go',
  '.rs': 'Rust',
  '.java': 'Java',
  '.kt': 'Kotlin',
  '.c': 'C',
  '.h': 'C',
  '.cc': 'C++',
  '.cpp': 'C++',
  '.hpp': 'C++',
  '.cs': 'C#',
  '.rb': 'Ruby',
  '.php': 'PHP',
  '.swift': 'Swift',
  '.sh': 'Shell',
  '.bash': 'Shell',
  '.md': 'Markdown',
  '.mdx': 'Markdown',
  '.rst': 'reStructuredText',
  '.txt': 'Text',
  '.json': 'JSON',
  '.yaml': 'YAML',
  '.yml': 'YAML',
  '.toml': 'TOML',
  '.html': 'HTML',
  '.css': 'CSS',
  '.scss': 'SCSS',
  '.sql': 'SQL',
  '.proto': 'Protocol Buffers',
};
const BY_NAME: Record<string, string> = { Makefile: 'Makefile', Dockerfile: 'Dockerfile', 'CMakeLists.txt': 'CMake' };

export function languageOf(path: string): string {
  const name = basename(path);
  return BY_NAME[name] ?? BY_EXTENSION[extname(name).toLowerCase()] ?? 'Other';
}

export interface IndexedFile {
  path: string;
  size: number;
  language: string;
  type: 'file' | 'symlink';
}

/** Files under `root` (without .git), sorted, at most `max`; `truncated` when there were more. */
export function listFiles(root: string, max: number, aborted: () => boolean): { files: IndexedFile[]; truncated: boolean } {
  const files: IndexedFile[] = [];
  const walk = (rel: string): boolean => {
    const entries = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (aborted()) return false;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (rel === '' && e.name === '.git') continue;
      if (e.isDirectory()) {
        if (!walk(p)) return false;
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      if (files.length >= max) return false;
      files.push({ path: p, size: lstatSync(join(root, p)).size, language: languageOf(p), type: e.isSymbolicLink() ? 'symlink' : 'file' });
    }
    return true;
  };
  const complete = walk('');
  return { files, truncated: !complete && !aborted() };
}

export const indexRepo: JobHandler = async (ctx) => {
  const co = await ctx.checkout();
  const max = Number(ctx.validated.params.max_files ?? 100_000);
  const { files, truncated } = listFiles(co.dir, max, () => ctx.signal.aborted);
  const byLanguage: Record<string, { files: number; bytes: number }> = {};
  let bytes = 0;
  for (const f of files) {
    const l = (byLanguage[f.language] ??= { files: 0, bytes: 0 });
    l.files++;
    l.bytes += f.size;
    bytes += f.size;
  }
  const warnings = truncated ? [`stopped after max_files=${max} files`] : [];
  const index = {
    repo: ctx.validated.repo?.name ?? null,
    ref: ctx.validated.ref ?? null,
    head: co.head,
    generated_at: new Date().toISOString(),
    totals: { files: files.length, bytes, by_language: byLanguage },
    truncated,
    files,
  };
  writeFileSync(join(ctx.artifactDir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
  const languages = Object.entries(byLanguage)
    .sort((a, b) => b[1].files - a[1].files)
    .slice(0, 10)
    .map(([language, v]) => ({ language, ...v }));
  return { state: 'completed', result: { head: co.head, files: files.length, bytes, truncated, languages }, outputs: ['index.json'], warnings };
};
