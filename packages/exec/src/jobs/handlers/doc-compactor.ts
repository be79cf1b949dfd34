/**
 * doc_compactor_task: compacts a docs tree (`docs_dir`, inside the repo by the path sandbox) into one
 * bounded digest — per document its title, headings, a one-paragraph summary and its links —
 * written as `digest.md` and `digest.json`. The digest never exceeds `max_chars` nor the job's output
 * budget; documents that do not fit are counted and named as omitted.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { resolveInsideRoot } from '@openclaw/policy';
import type { JobHandler } from '../handler.js';

const DOC_EXTENSIONS = new Set(['.md', '.markdown', '.mdx', '.rst', '.txt']);
const SUMMARY_CHARS = 300;
const LINKS_PER_DOC = 30;
const MAX_DOC_BYTES = 2 * 1024 * 1024;

export interface DocDigest {
  path: string;
  title: string;
  headings: { level: number; text: string }[];
  summary: string;
  links: { text: string; target: string }[];
}

function plain(markdown: string): string {
  return markdown
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_]+/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`;
}

/** Title, headings, first paragraph and links of one document (Markdown; other text by lines). */
export function digestDocument(path: string, text: string): DocDigest {
  const headings: DocDigest['headings'] = [];
  const links: DocDigest['links'] = [];
  const seen = new Set<string>();
  const paragraph: string[] = [];
  let summaryDone = false;
  let fence: string | null = null;
  const markdown = /\.(md|markdown|mdx)$/i.test(path);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) {
      fence = fence === null ? (f[1] as string) : fence === f[1] ? null : fence;
      if (paragraph.length) summaryDone = true;
      continue;
    }
    if (fence !== null) continue;
    const h = markdown ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    const rst = !markdown && /^([=\-~^"'`#*+])\1{2,}\s*$/.test(lines[i + 1] ?? '') && line.trim() !== '' ? line.trim() : null;
    if (h || rst) {
      headings.push(h ? { level: (h[1] as string).length, text: plain(h[2] as string) } : { level: 1, text: rst as string });
      if (rst) i++;
      if (paragraph.length) summaryDone = true;
      continue;
    }
    if (markdown) {
      for (const m of line.matchAll(/\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<(https?:\/\/[^>\s]+)>/g)) {
        const target = (m[2] ?? m[3]) as string;
        if (links.length < LINKS_PER_DOC && !seen.has(target)) {
          seen.add(target);
          links.push({ text: plain(m[1] ?? target), target });
        }
      }
    }
    if (!summaryDone) {
      if (line.trim() === '') {
        if (paragraph.length) summaryDone = true;
      } else if (!/^\s*(<!--|---\s*$|\|)/.test(line)) paragraph.push(line);
    }
  }
  const title = headings[0]?.text ?? lines.find((l) => l.trim() !== '')?.trim() ?? path;
  return { path, title: clip(plain(title), 200), headings, summary: clip(plain(paragraph.join(' ')), SUMMARY_CHARS), links };
}

function listDocs(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && e.name !== '.git') out.push(...listDocs(root, p));
    else if (e.isFile() && DOC_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

function section(d: DocDigest, docsDir: string): string {
  const lines = [`## ${docsDir}/${d.path}`, '', `**${d.title}**`];
  if (d.summary) lines.push('', d.summary);
  const heads = d.headings.slice(1).filter((h) => h.level <= 3);
  if (heads.length) lines.push('', ...heads.map((h) => `${'  '.repeat(Math.max(0, h.level - 2))}- ${h.text}`));
  if (d.links.length) lines.push('', `Links: ${d.links.map((l) => (l.text && l.text !== l.target ? `[${l.text}](${l.target})` : `<${l.target}>`)).join(', ')}`);
  return `${lines.join('\n')}\n\n`;
}

export const compactDocs: JobHandler = async (ctx) => {
  const co = await ctx.checkout();
  const docsDir = String(ctx.validated.params.docs_dir ?? 'docs');
  const where = resolveInsideRoot(co.dir, docsDir);
  if (!where.ok) return { state: 'failed', error: `docs_dir ${docsDir}: ${where.reason}`, result: { code: where.code } };
  if (!statSync(where.path, { throwIfNoEntry: false })?.isDirectory())
    return { state: 'failed', error: `docs_dir ${docsDir} is not a directory in ${ctx.validated.repo?.name}@${co.head}`, result: { code: 'docs_dir_missing' } };
  const limit = Math.min(Number(ctx.validated.params.max_chars ?? 100_000), ctx.budget.outputLeft());
  const docs = listDocs(where.path);
  const header = `# Docs digest: ${ctx.validated.repo?.name ?? 'repo'}@${co.head.slice(0, 12)} ${docsDir}/\n\n${docs.length} documents.\n\n`;
  let digest = header;
  const included: DocDigest[] = [];
  const omitted: string[] = [];
  for (const rel of docs) {
    if (ctx.signal.aborted) break;
    const file = join(where.path, rel);
    const st = statSync(file);
    const d = digestDocument(rel, st.size > MAX_DOC_BYTES ? readFileSync(file, 'utf8').slice(0, MAX_DOC_BYTES) : readFileSync(file, 'utf8'));
    const s = section(d, docsDir);
    // Keep room for the closing line that names what was left out.
    if (omitted.length === 0 && digest.length + s.length <= limit - 200) {
      digest += s;
      included.push(d);
    } else omitted.push(rel);
  }
  if (omitted.length) digest += `… ${omitted.length} more documents omitted (digest limit ${limit} characters).\n`;
  if (digest.length > limit) digest = `${digest.slice(0, Math.max(0, limit - 1))}…`;
  ctx.budget.output(digest.length);
  writeFileSync(join(ctx.artifactDir, 'digest.md'), digest);
  writeFileSync(
    join(ctx.artifactDir, 'digest.json'),
    `${JSON.stringify({ repo: ctx.validated.repo?.name, head: co.head, docs_dir: docsDir, limit, documents: included, omitted }, null, 1)}\n`,
  );
  const warnings = omitted.length ? [`${omitted.length} documents did not fit in ${limit} characters`] : [];
  return {
    state: 'completed',
    result: { head: co.head, documents: docs.length, included: included.length, omitted: omitted.length, chars: digest.length },
    outputs: ['digest.md', 'digest.json'],
    warnings,
  };
};
