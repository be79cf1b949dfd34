/** Hunk headers and context lines for the pieces of a file that the packer writes. */

import { CONTEXT, type FileHeader, type HunkHeader } from '../diff/parse.js';
import { quotePath } from '../git/quote.js';

/** Position (1-based) of a hunk's first line on each side; a 0-count side names the line before. */
export function firstLines(h: HunkHeader): { oldFirst: number; newFirst: number } {
  return { oldFirst: h.oldCount === 0 ? h.oldStart + 1 : h.oldStart, newFirst: h.newCount === 0 ? h.newStart + 1 : h.newStart };
}

function range(first: number, count: number): string {
  if (count === 0) return `${first - 1},0`;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/** `@@ -a,b +c,d @@heading` in git's own format (a count of 1 is left out). */
export function hunkHeader(oldFirst: number, oldCount: number, newFirst: number, newCount: number, heading: string): Buffer {
  return Buffer.from(`@@ -${range(oldFirst, oldCount)} +${range(newFirst, newCount)} @@${heading}\n`, 'latin1');
}

/** The line `src[start, end)` of `kind` as context (` content`), keeping its "\ No newline" marker. */
export function rangeAsContext(src: Buffer, start: number, end: number, kind: number): Buffer {
  if (kind === CONTEXT) return src.subarray(start, end);
  const b = Buffer.from(src.subarray(start, end));
  b[0] = CONTEXT;
  return b;
}

export function contextLine(content: Buffer, noNewline: boolean): Buffer {
  return Buffer.concat([Buffer.from(' '), content, ...(noNewline ? [Buffer.from('\n\\ No newline at end of file\n')] : [])]);
}

/**
 * The header of a later piece of a file: a plain modification of the path the file has by then (a
 * rename, copy, mode change or creation is done by the first piece).
 */
export function continuationHeader(path: Buffer): Buffer {
  const a = quotePath('a/', path);
  const b = quotePath('b/', path);
  return Buffer.from(`diff --git ${a} ${b}\n--- ${a}\n+++ ${b}\n`, 'latin1');
}

/**
 * The last piece of a deletion cut into pieces: it removes the remaining lines and the file (the
 * earlier pieces are plain modifications that remove lines from the top).
 */
export function deletionHeader(h: FileHeader): Buffer {
  const path = h.oldPath as Buffer;
  const a = quotePath('a/', path);
  return Buffer.from(`diff --git ${a} ${quotePath('b/', path)}\ndeleted file mode ${h.oldMode ?? '100644'}\n--- ${a}\n+++ /dev/null\n`, 'latin1');
}
