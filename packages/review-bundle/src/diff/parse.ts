/**
 * An incremental parser of `git diff` patch output (the format `git apply` reads). It sees one line
 * at a time and keeps only the current file's header and one pending line, so memory does not grow
 * with the size of the diff. Hunk bodies are delimited by the counts in their `@@` headers, never by
 * what a line looks like, so content such as "diff --git" or "@@" inside a file cannot confuse it.
 */
import { parsePathField, unquoteAt } from '../git/quote.js';

export type ChangeKind = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied';

export interface FileHeader {
  /** The header lines exactly as git printed them (each ends with '\n'). */
  raw: Buffer[];
  /** Path in SINCE (null for an added file) and in TO (null for a deleted file), as bytes. */
  oldPath: Buffer | null;
  newPath: Buffer | null;
  change: ChangeKind;
  oldMode?: string;
  newMode?: string;
  /** Blob ids from the `index` line (full with --full-index). */
  oldBlob?: string;
  newBlob?: string;
  binary: boolean;
}

export interface HunkHeader {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** The text after the closing `@@` (function context), without '\n'. */
  heading: string;
  raw: Buffer;
}

export const CONTEXT = 0x20;
export const DELETED = 0x2d;
export const ADDED = 0x2b;

/** Bytes `src[start, end)`: a range of a chunk as read, kept without making a Buffer of its own. */
export interface Slice {
  src: Buffer;
  start: number;
  end: number;
}

export function sliceOf(b: Buffer): Slice {
  return { src: b, start: 0, end: b.length };
}

export type LineKind = typeof CONTEXT | typeof DELETED | typeof ADDED;

/**
 * Consecutive lines of one hunk that lie one after another in one buffer (usually the chunk read):
 * line i is `src[startOf(i), ends[i])` — its patch text (prefix, content, '\n'). Lines are the bulk
 * of a diff (a 50 MB diff has about a million), so they travel as runs with their ends and kinds in
 * typed arrays, never as an object each. A line followed by "\ No newline at end of file" is a run
 * of its own whose text includes that marker line (`noNewline`).
 */
export class LineBatch {
  constructor(
    readonly src: Buffer,
    /** Where the first line starts. */
    readonly begin: number,
    readonly ends: Int32Array,
    readonly kinds: Uint8Array,
    readonly noNewline = false,
    /** False when no added line in the run can hold a secret (the parser's `suspect` test said so). */
    readonly suspect = true,
  ) {}

  static single(src: Buffer, start: number, end: number, kind: LineKind, noNewline: boolean, suspect = true): LineBatch {
    return new LineBatch(src, start, Int32Array.of(end), Uint8Array.of(kind), noNewline, suspect);
  }

  get count(): number {
    return this.ends.length;
  }

  get end(): number {
    return this.ends[this.ends.length - 1] as number;
  }

  get bytes(): number {
    return this.end - this.begin;
  }

  startOf(i: number): number {
    return i === 0 ? this.begin : (this.ends[i - 1] as number);
  }

  /** Lines [from, to) as a run of their own. */
  slice(from: number, to: number): LineBatch {
    return new LineBatch(this.src, this.startOf(from), this.ends.subarray(from, to), this.kinds.subarray(from, to), this.noNewline, this.suspect);
  }
}

export interface DiffSink {
  fileStart(header: FileHeader): void;
  hunkStart(hunk: HunkHeader): void;
  /** The next lines of the current hunk, in order. */
  lines(batch: LineBatch): void;
  hunkEnd(): void;
  fileEnd(): void;
}

export class DiffFormatError extends Error {}

/**
 * Reads `@@ -a[,b] +c[,d] @@heading` from the line `t[start, end)` (latin1, ending with '\n' or
 * at the end of the diff; a '\r' just before the '\n' is not part of the heading). Undefined when the
 * line is not such a header — the heading may hold no '\r' or '\n' of its own (what
 * /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/ accepts). One pass over the characters, no
 * regular expression: a diff of small hunks has a header every few lines. The caller has seen the
 * line start with "@@ ".
 */
/** Where the number numberAt() read last ends. */
let numberEnd = 0;

/** The decimal number at `t[i]` on (numberEnd is set to its end), or -1 when no digit is there. */
function numberAt(t: string, i: number): number {
  let v = 0;
  let j = i;
  for (let c = t.charCodeAt(j); c >= 0x30 && c <= 0x39; c = t.charCodeAt(++j)) v = v * 10 + (c - 0x30);
  numberEnd = j;
  return j === i ? -1 : v;
}

function hunkHeaderAt(t: string, start: number, end: number, raw: Buffer): HunkHeader | undefined {
  let stop = end;
  if (stop > start && t.charCodeAt(stop - 1) === 10) {
    stop--;
    if (stop > start && t.charCodeAt(stop - 1) === 13) stop--;
  }
  // "@@ -a[,b] +c[,d] @@"
  if (stop - start < 10 || t.charCodeAt(start + 3) !== 0x2d) return undefined;
  const oldStart = numberAt(t, start + 4);
  if (oldStart < 0) return undefined;
  let i = numberEnd;
  let oldCount = 1;
  if (t.charCodeAt(i) === 0x2c) {
    oldCount = numberAt(t, i + 1);
    if (oldCount < 0) return undefined;
    i = numberEnd;
  }
  if (t.charCodeAt(i) !== 0x20 || t.charCodeAt(i + 1) !== 0x2b) return undefined;
  const newStart = numberAt(t, i + 2);
  if (newStart < 0) return undefined;
  i = numberEnd;
  let newCount = 1;
  if (t.charCodeAt(i) === 0x2c) {
    newCount = numberAt(t, i + 1);
    if (newCount < 0) return undefined;
    i = numberEnd;
  }
  if (t.charCodeAt(i) !== 0x20 || t.charCodeAt(i + 1) !== 0x40 || t.charCodeAt(i + 2) !== 0x40) return undefined;
  i += 3;
  if (i > stop) return undefined;
  for (let j = i; j < stop; j++) {
    const c = t.charCodeAt(j);
    if (c === 10 || c === 13) return undefined;
  }
  return { oldStart, oldCount, newStart, newCount, heading: i === stop ? '' : t.slice(i, stop), raw };
}

function startsWith(src: Buffer, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (src[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

const SPACE_NEWLINE = Buffer.from(' \n');

function text(line: Buffer): string {
  return line.toString('latin1').replace(/\r?\n$/, '');
}

export class DiffParser {
  private state: 'start' | 'header' | 'hunk' | 'between' = 'start';
  private header: Buffer[] = [];
  private oldLeft = 0;
  private newLeft = 0;
  /** The last line read, held until it is known whether a "\ No newline" marker follows it. */
  private pSrc: Buffer | undefined;
  private pStart = 0;
  private pEnd = 0;
  private pKind: LineKind = CONTEXT;
  private pNoNewline = false;
  private inHunk = false;
  /** The start of a line that continues in the next chunk. */
  private carry: Buffer[] = [];
  /** Ends and kinds of the run being collected (sized for the largest chunk seen). */
  private ends = new Int32Array(0);
  private kinds = new Uint8Array(0);

  constructor(
    private readonly sink: DiffSink,
    /**
     * A cheap test of text (bytes as latin1) that is false only when no added line in it can need
     * redaction. It is asked once per run for the run's added lines, and once for each added line
     * read on its own (a line across chunks, a line with a "No newline" marker); the verdict rides
     * on each LineBatch as `suspect`. Without one, every run with an added line is suspect.
     */
    private readonly suspect: (text: string) => boolean = () => true,
  ) {}

  /**
   * The next chunk of git's output, any size, cut anywhere. Content is never decoded: CRLF,
   * Latin-1 and invalid UTF-8 pass through as bytes. Hunk lines are collected into runs in one
   * tight loop; everything else (headers, hunk headers, markers, a line across chunks) goes line by
   * line through line().
   */
  push(chunk: Buffer): void {
    // One latin1 view of the chunk (a byte per char): newlines are found with String#indexOf,
    // cheaper per call than Buffer#indexOf, and the suspect test reads slices of it.
    const text = chunk.toString('latin1');
    let pos = 0;
    if (this.carry.length) {
      const nl = text.indexOf('\n');
      if (nl === -1) {
        this.carry.push(chunk);
        return;
      }
      this.carry.push(chunk.subarray(0, nl + 1));
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.line(line, 0, line.length, undefined);
      pos = nl + 1;
    }
    const n = chunk.length;
    while (pos < n) {
      if (this.state === 'hunk') {
        const at = this.hunkRun(chunk, text, pos);
        if (at !== pos) {
          pos = at;
          continue;
        }
      }
      const nl = text.indexOf('\n', pos);
      if (nl === -1) break;
      this.line(chunk, pos, nl + 1, text);
      pos = nl + 1;
    }
    if (pos < n) this.carry.push(chunk.subarray(pos));
  }

  /**
   * Collects the plain hunk lines from `pos` on into one run: those that start with ' ', '-' or '+',
   * end inside this chunk and are followed, inside this chunk, by something other than a "\ No
   * newline" marker. The first line that is not (and the hunk's last, if a marker may follow it)
   * is left to line(). Returns where it stopped.
   */
  private hunkRun(src: Buffer, text: string, pos: number): number {
    if (this.pSrc) {
      // The held line is complete unless this line is its marker.
      if (text.charCodeAt(pos) === 0x5c) return pos;
      this.flushPending();
    }
    const n = text.length;
    if (this.ends.length < n) {
      this.ends = new Int32Array(n);
      this.kinds = new Uint8Array(n);
    }
    const ends = this.ends;
    const kinds = this.kinds;
    let oldLeft = this.oldLeft;
    let newLeft = this.newLeft;
    let count = 0;
    let at = pos;
    while (at < n) {
      const c = text.charCodeAt(at);
      if (c !== CONTEXT && c !== DELETED && c !== ADDED) break;
      const nl = text.indexOf('\n', at);
      if (nl === -1 || nl + 1 >= n || text.charCodeAt(nl + 1) === 0x5c) break;
      if (c === CONTEXT) {
        oldLeft--;
        newLeft--;
      } else if (c === DELETED) oldLeft--;
      else newLeft--;
      if (oldLeft < 0 || newLeft < 0) throw new DiffFormatError('hunk longer than its header says');
      ends[count] = nl + 1;
      kinds[count] = c;
      count++;
      at = nl + 1;
      if (oldLeft === 0 && newLeft === 0) {
        this.state = 'between';
        break;
      }
    }
    this.oldLeft = oldLeft;
    this.newLeft = newLeft;
    if (count) this.sink.lines(new LineBatch(src, pos, ends.slice(0, count), kinds.slice(0, count), false, this.addedSuspect(text, pos, count)));
    return at;
  }

  /**
   * The suspect test on the added lines of the run just collected (only they are ever redacted):
   * their span as one slice when they are most of it, else the added lines alone, joined.
   */
  private addedSuspect(text: string, pos: number, count: number): boolean {
    const ends = this.ends;
    const kinds = this.kinds;
    let first = -1;
    let last = -1;
    let added = 0;
    let start = pos;
    for (let i = 0; i < count; i++) {
      const end = ends[i] as number;
      if (kinds[i] === ADDED) {
        if (first < 0) first = start;
        last = end;
        added += end - start;
      }
      start = end;
    }
    if (first < 0) return false;
    if (added * 2 >= last - first) return this.suspect(text.slice(first, last));
    let joined = '';
    let from = -1;
    start = pos;
    for (let i = 0; i < count; i++) {
      if (kinds[i] === ADDED) {
        if (from < 0) from = start;
      } else if (from >= 0) {
        joined += text.slice(from, start);
        from = -1;
      }
      start = ends[i] as number;
    }
    if (from >= 0) joined += text.slice(from, start);
    return this.suspect(joined);
  }

  /**
   * One line of the diff: `src[start, end)`, ending with its '\n' (unless it is the last). `t` is
   * src as latin1 when the caller has it (the chunk's text).
   */
  private line(src: Buffer, start: number, end: number, t: string | undefined): void {
    if (this.state === 'hunk') {
      const c = src[start];
      if (c === 0x5c /* \ No newline at end of file */) {
        this.marker(src, start, end);
        return;
      }
      this.flushPending();
      let kind: LineKind;
      if (c === CONTEXT || (end - start === 1 && c === 10)) {
        kind = CONTEXT;
        this.oldLeft--;
        this.newLeft--;
      } else if (c === DELETED) {
        kind = DELETED;
        this.oldLeft--;
      } else if (c === ADDED) {
        kind = ADDED;
        this.newLeft--;
      } else throw new DiffFormatError(`unexpected line in a hunk: ${JSON.stringify(text(src.subarray(start, end)).slice(0, 80))}`);
      if (this.oldLeft < 0 || this.newLeft < 0) throw new DiffFormatError('hunk longer than its header says');
      // A blank context line may come without its space (diff.suppressBlankEmpty): put it back.
      if (c === 10) {
        this.pSrc = SPACE_NEWLINE;
        this.pStart = 0;
        this.pEnd = 2;
      } else {
        this.pSrc = src;
        this.pStart = start;
        this.pEnd = end;
      }
      this.pKind = kind;
      this.pNoNewline = false;
      if (this.oldLeft === 0 && this.newLeft === 0) this.state = 'between';
      return;
    }
    if (this.state === 'between' && src[start] === 0x5c) {
      this.marker(src, start, end);
      return;
    }
    if (this.state === 'between') {
      this.flushPending();
      this.endHunk();
    }
    const line = src.subarray(start, end);
    if (startsWith(src, start, end, 'diff --git ')) {
      this.endFile();
      this.header = [line];
      this.state = 'header';
      return;
    }
    if (this.state === 'start') throw new DiffFormatError(`expected "diff --git", got ${JSON.stringify(text(line).slice(0, 80))}`);
    if (startsWith(src, start, end, '@@ ')) {
      if (this.state === 'header') this.sink.fileStart(parseHeader(this.header));
      this.header = [];
      const hunk = t === undefined ? hunkHeaderAt(line.toString('latin1'), 0, line.length, line) : hunkHeaderAt(t, start, end, line);
      if (!hunk) throw new DiffFormatError(`bad hunk header ${JSON.stringify(text(line).slice(0, 80))}`);
      this.oldLeft = hunk.oldCount;
      this.newLeft = hunk.newCount;
      this.inHunk = true;
      this.sink.hunkStart(hunk);
      this.state = this.oldLeft === 0 && this.newLeft === 0 ? 'between' : 'hunk';
      return;
    }
    if (this.state === 'header') {
      this.header.push(line);
      return;
    }
    throw new DiffFormatError(`unexpected line after a hunk: ${JSON.stringify(text(line).slice(0, 80))}`);
  }

  end(): void {
    if (this.carry.length) {
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.line(line, 0, line.length, undefined);
    }
    if (this.state === 'hunk') throw new DiffFormatError('the diff ended inside a hunk');
    if (this.state === 'between') {
      this.flushPending();
      this.endHunk();
    }
    this.endFile();
    this.state = 'start';
  }

  private marker(src: Buffer, start: number, end: number): void {
    const p = this.pSrc;
    if (!p) throw new DiffFormatError('"\\ No newline at end of file" without a line before it');
    const joined = Buffer.concat([p.subarray(this.pStart, this.pEnd), src.subarray(start, end)]);
    this.pSrc = joined;
    this.pStart = 0;
    this.pEnd = joined.length;
    this.pNoNewline = true;
  }

  private flushPending(): void {
    const p = this.pSrc;
    if (p) {
      this.pSrc = undefined;
      const suspect = this.pKind === ADDED && this.suspect(p.toString('latin1', this.pStart, this.pEnd));
      this.sink.lines(LineBatch.single(p, this.pStart, this.pEnd, this.pKind, this.pNoNewline, suspect));
    }
  }

  private endHunk(): void {
    if (this.inHunk) this.sink.hunkEnd();
    this.inHunk = false;
  }

  private endFile(): void {
    if (this.state === 'header') {
      this.sink.fileStart(parseHeader(this.header));
      this.sink.fileEnd();
    } else if (this.state === 'between') this.sink.fileEnd();
    this.header = [];
  }
}

/** Reads names, modes and blob ids from a file's header lines (see git-diff(1) "extended headers"). */
export function parseHeader(raw: Buffer[]): FileHeader {
  let oldPath: Buffer | null | undefined;
  let newPath: Buffer | null | undefined;
  let change: ChangeKind = 'modified';
  const h: Partial<FileHeader> = {};
  let binary = false;
  for (const line of raw.slice(1)) {
    const t = text(line);
    const field = (p: string) => t.slice(p.length);
    if (t.startsWith('--- ')) oldPath = parsePathField(field('--- '), 'a/');
    else if (t.startsWith('+++ ')) newPath = parsePathField(field('+++ '), 'b/');
    else if (t.startsWith('rename from ')) {
      oldPath = parsePathField(field('rename from '), null);
      change = 'renamed';
    } else if (t.startsWith('rename to ')) newPath = parsePathField(field('rename to '), null);
    else if (t.startsWith('copy from ')) {
      oldPath = parsePathField(field('copy from '), null);
      change = 'copied';
    } else if (t.startsWith('copy to ')) newPath = parsePathField(field('copy to '), null);
    else if (t.startsWith('new file mode ')) {
      h.newMode = field('new file mode ');
      change = 'added';
    } else if (t.startsWith('deleted file mode ')) {
      h.oldMode = field('deleted file mode ');
      change = 'deleted';
    } else if (t.startsWith('old mode ')) h.oldMode = field('old mode ');
    else if (t.startsWith('new mode ')) h.newMode = field('new mode ');
    else if (t.startsWith('index ')) {
      const m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d+))?$/.exec(t);
      if (m) {
        h.oldBlob = m[1] as string;
        h.newBlob = m[2] as string;
        if (m[3]) {
          h.oldMode ??= m[3];
          h.newMode ??= m[3];
        }
      }
    } else if (t.startsWith('Binary files ') || t === 'GIT binary patch') binary = true;
  }
  if (change === 'added') oldPath = null;
  if (change === 'deleted') newPath = null;
  if (oldPath === undefined || newPath === undefined) {
    // No ---/+++ (mode change, binary, empty file): both names are on the `diff --git` line.
    const [a, b] = namesFromDiffLine(text(raw[0] as Buffer));
    if (oldPath === undefined) oldPath = change === 'added' ? null : a;
    if (newPath === undefined) newPath = change === 'deleted' ? null : b;
  }
  return { raw, oldPath: oldPath ?? null, newPath: newPath ?? null, change, binary, ...h };
}

/**
 * `diff --git a/X b/Y`: quoted names are unambiguous; unquoted ones may contain spaces, and without
 * a rename both names are the same, so the line splits in the middle (what git apply does too).
 */
function namesFromDiffLine(t: string): [Buffer, Buffer] {
  const rest = t.slice('diff --git '.length);
  if (rest.startsWith('"')) {
    const a = unquoteAt(rest, 0);
    if (a) {
      const b = parsePathField(rest.slice(a.end + 1), 'b/');
      if (b) return [a.bytes.subarray(2), b];
    }
  }
  const bq = rest.indexOf(' "b/');
  if (bq !== -1) {
    const b = unquoteAt(rest, bq + 1);
    if (b) return [Buffer.from(rest.slice(2, bq), 'latin1'), b.bytes.subarray(2)];
  }
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest.slice(0, 2) === 'a/' && rest.slice(half + 1, half + 3) === 'b/' && rest.slice(2, half) === rest.slice(half + 3)) {
    const name = Buffer.from(rest.slice(2, half), 'latin1');
    return [name, name];
  }
  throw new DiffFormatError(`cannot read the file names of ${JSON.stringify(t.slice(0, 120))}`);
}
