/**
 * Cuts one hunk that is larger than a packet into smaller hunks, each a patch of its own for the
 * file as it is when its packet is applied (see file-packer.ts for the numbering and context rules).
 */
import { ADDED, CONTEXT, DELETED, type HunkHeader, type LineBatch, type Slice, sliceOf } from '../diff/parse.js';
import type { FilePacker, FilePackerContext } from './file-packer.js';
import { contextLine, firstLines, hunkHeader, rangeAsContext } from './hunk.js';
import type { OldLine } from './old-lines.js';

const CONTEXT_LINES = 3;
/** Bytes of diff a cut may look ahead for its trailing context before reading the old blob. */
const LOOKAHEAD = 1024 * 1024;
const QUEUE_START = 4096;
/**
 * Placed lines the queue keeps before it drops them (when they are also most of it). A cut hunk of
 * a few thousand lines is then never compacted; a long one is, so the queue stays within about
 * twice the lookahead's lines.
 */
const COMPACT_AFTER = 8192;

interface QueueArrays {
  src: Buffer[];
  start: Int32Array;
  end: Int32Array;
  kind: Uint8Array;
  oldAt: Int32Array;
}

function queueArrays(): QueueArrays {
  return {
    src: new Array<Buffer>(QUEUE_START).fill(EMPTY),
    start: new Int32Array(QUEUE_START),
    end: new Int32Array(QUEUE_START),
    kind: new Uint8Array(QUEUE_START),
    oldAt: new Int32Array(QUEUE_START),
  };
}

/** Queues of finished splitters, for the next ones (one splitter runs at a time). */
const SPARE: QueueArrays[] = [];

/**
 * Cuts one hunk into pieces that each fit in a packet. Positions are hunk-local counts of old-side
 * (context and deleted) and new-side (context and added) lines consumed so far.
 *
 * This runs once per line of every hunk larger than a packet, so it allocates nothing per line: the
 * queue is typed arrays of each line's chunk, range and kind, and it and its index of old-side lines
 * have moving heads (compacted now and then); the trailing context a line would need is measured in
 * place, a piece's body is a range of the queue, and a piece remembers only how many of the old
 * lines after it it takes; they are looked up when the piece is closed.
 */
export class HunkSplitter {
  /** Line-count change of the lines that could not be placed (their piece is missing). */
  droppedDelta = 0;
  private oldIdx = 0;
  private newIdx = 0;
  /** The last new-side lines seen (lead context of the next piece): a ring of CONTEXT_LINES. */
  private readonly ringSrc: Buffer[] = [EMPTY, EMPTY, EMPTY];
  private readonly ringStart = [0, 0, 0];
  private readonly ringEnd = [0, 0, 0];
  private readonly ringKind = [0, 0, 0];
  private ringNext = 0;
  private ringSize = 0;
  private piece: Piece | undefined;
  private dropping = false;
  private readonly oldFirst: number;
  private readonly newFirst: number;

  constructor(
    private readonly file: FilePacker,
    private readonly ctx: FilePackerContext,
    private readonly h: HunkHeader,
    private readonly shift: number,
  ) {
    const f = firstLines(h);
    this.oldFirst = f.oldFirst;
    this.newFirst = f.newFirst;
  }

  /**
   * Lines wait in a short queue until the old lines after them are known (the trailing context of
   * a cut there): usually a few lines later. Behind a run of added lines longer than LOOKAHEAD they
   * come from the old blob instead, so the queue stays bounded.
   */
  // Room for a packet's worth of typical lines and their lookahead; grown when that is not enough.
  // The queue of the splitter before, when it was not grown (see release()): a cut hunk in every
  // file of a large diff made them anew for each.
  private readonly arrays = SPARE.pop() ?? queueArrays();
  private qSrc: Buffer[] = this.arrays.src;
  private qStart = this.arrays.start;
  private qEnd = this.arrays.end;
  private qKind = this.arrays.kind;
  /** Lines in the queue (placed or not): indexes [0, qLen). */
  private qLen = 0;
  private queueHead = 0;
  private queueBytes = 0;
  /** Sequence number (lines added so far) of queue[0]. */
  private queueBase = 0;
  /** Sequence numbers of the queued old-side lines, in order; oldAt[0] is old-side line `oldBase`. */
  private oldAt = this.arrays.oldAt;
  /** Entries in oldAt. */
  private oldLen = 0;
  private oldHead = 0;
  private oldBase = 0;
  /** The longest line queued so far (bounds the trailing context a line can need). */
  private maxLen = 0;

  /**
   * The next lines of the hunk, queued in order. The queue is drained when the run is queued, or at
   * once when it holds more than LOOKAHEAD bytes: a line waits only for old lines after it, and
   * while the queue is within LOOKAHEAD no line is ever taken from the blob, so draining later
   * places the same lines in the same order with the same context as draining after every line.
   */
  add(b: LineBatch): void {
    const n = b.count;
    const ends = b.ends;
    const kinds = b.kinds;
    const src = b.src;
    let start = b.begin;
    for (let j = 0; j < n; j++) {
      const kind = kinds[j] as number;
      const end = ends[j] as number;
      if (this.dropping) this.droppedDelta += kind === ADDED ? 1 : kind === DELETED ? -1 : 0;
      else {
        if (this.qLen === this.qKind.length) this.grow();
        const at = this.qLen++;
        this.qSrc[at] = src;
        this.qStart[at] = start;
        this.qEnd[at] = end;
        this.qKind[at] = kind;
        if (kind !== ADDED) this.pushOld(this.queueBase + at);
        const len = end - start;
        if (len > this.maxLen) this.maxLen = len;
        this.queueBytes += len;
        if (this.queueBytes > LOOKAHEAD) this.drain(false);
      }
      start = end;
    }
    if (!this.dropping) this.drain(false);
  }

  private pushOld(seq: number): void {
    if (this.oldLen === this.oldAt.length) {
      const grown = new Int32Array(this.oldAt.length * 2);
      grown.set(this.oldAt);
      this.oldAt = grown;
    }
    this.oldAt[this.oldLen++] = seq;
  }

  /** Doubles the queue's room. */
  private grow(): void {
    const size = this.qKind.length * 2;
    const src = new Array<Buffer>(size).fill(EMPTY);
    for (let i = 0; i < this.qLen; i++) src[i] = this.qSrc[i] as Buffer;
    this.qSrc = src;
    const start = new Int32Array(size);
    start.set(this.qStart);
    this.qStart = start;
    const end = new Int32Array(size);
    end.set(this.qEnd);
    this.qEnd = end;
    const kind = new Uint8Array(size);
    kind.set(this.qKind);
    this.qKind = kind;
  }

  finish(): void {
    this.drain(true);
    // The last piece of a deletion (nothing dropped) removes the file.
    if (this.piece?.bodyCount) this.closePiece(this.file.isDeletion && !this.dropping);
    this.piece = undefined;
    this.release();
  }

  /** Gives the queue to the next splitter, unless it grew (a rare hunk must not keep memory). */
  private release(): void {
    const a = this.arrays;
    this.qSrc.fill(EMPTY, 0, this.qLen);
    this.qLen = 0;
    if (this.qSrc === a.src && this.oldAt === a.oldAt && SPARE.length < 2) SPARE.push(a);
  }

  private drain(final: boolean): void {
    while (this.queueHead < this.qLen) {
      if (!final && this.piece && this.placeRun()) {
        this.compactIfWorth();
        continue;
      }
      const i = this.queueHead;
      const seq = this.queueBase + i;
      while (this.oldHead < this.oldLen && (this.oldAt[this.oldHead] as number) <= seq) this.oldHead++;
      const known = this.oldLen - this.oldHead;
      let fromBlob: boolean;
      if (known >= CONTEXT_LINES || final) fromBlob = false;
      else if (this.queueBytes > LOOKAHEAD) fromBlob = true;
      else return;
      this.queueHead++;
      this.queueBytes -= (this.qEnd[i] as number) - (this.qStart[i] as number);
      this.place(i, fromBlob);
      if (this.dropping) {
        for (let j = this.queueHead; j < this.qLen; j++) {
          const k = this.qKind[j];
          this.droppedDelta += k === ADDED ? 1 : k === DELETED ? -1 : 0;
        }
        this.queueHead = this.qLen;
      }
      this.compactIfWorth();
    }
  }

  /** Placed lines stay while the open piece's body holds them; the rest go now and then. */
  private compactIfWorth(): void {
    const keep = this.piece ? Math.min(this.queueHead, this.piece.bodyFrom - this.queueBase) : this.queueHead;
    if (keep > COMPACT_AFTER && keep * 2 > this.qLen) this.compact(keep);
  }

  /**
   * Places, in one pass, the queued lines from the head on that place() would put into the open
   * piece as they are: each has CONTEXT_LINES old lines queued after it, and the piece keeps room
   * for them (at most CONTEXT_LINES of the longest line queued so far) after it, so none of them
   * is a cut and each would take all the trailing context it wants. The piece ends up exactly as
   * place() would leave it after the last of them. Returns false when no line qualifies.
   */
  private placeRun(): boolean {
    const p = this.piece as Piece;
    if (this.dropping || this.oldLen - this.oldHead < CONTEXT_LINES) return false;
    // Lines before the third-last queued old line have CONTEXT_LINES old lines after them.
    const placeable = (this.oldAt[this.oldLen - CONTEXT_LINES] as number) - this.queueBase;
    const limit = p.space - p.fixed - p.bodyBytes - CONTEXT_LINES * this.maxLen;
    const qStart = this.qStart;
    const qEnd = this.qEnd;
    const qKind = this.qKind;
    const from = this.queueHead;
    let j = from;
    let bytes = 0;
    let old = 0;
    let added = 0;
    let context = 0;
    let trailing = p.trailingContext;
    while (j < placeable) {
      const len = (qEnd[j] as number) - (qStart[j] as number);
      if (bytes + len > limit) break;
      bytes += len;
      const kind = qKind[j];
      if (kind === CONTEXT) {
        context++;
        trailing++;
      } else {
        trailing = 0;
        if (kind === ADDED) added++;
        else old++;
      }
      j++;
    }
    const n = j - from;
    if (n === 0) return false;
    p.bodyCount += n;
    p.bodyBytes += bytes;
    p.old += old + context;
    p.new += added + context;
    p.changes += old + added;
    p.trailingContext = trailing;
    p.trailCount = trailing >= CONTEXT_LINES ? 0 : CONTEXT_LINES - trailing;
    p.trailBlob = undefined;
    this.queueHead = j;
    this.queueBytes -= bytes;
    const last = this.queueBase + j - 1;
    while (this.oldHead < this.oldLen && (this.oldAt[this.oldHead] as number) <= last) this.oldHead++;
    // consume() of each line: the counts, and the ring of the last new-side lines.
    this.oldIdx += old + context;
    const newSide = added + context;
    this.newIdx += newSide;
    const ring = Math.min(CONTEXT_LINES, newSide);
    const lastNew: number[] = [];
    for (let k = j - 1; k >= from && lastNew.length < ring; k--) if (qKind[k] !== DELETED) lastNew.push(k);
    this.ringNext = (this.ringNext + newSide - ring) % CONTEXT_LINES;
    for (let k = lastNew.length - 1; k >= 0; k--) this.ringPush(lastNew[k] as number, qKind[lastNew[k] as number] as number);
    this.ringSize = Math.min(CONTEXT_LINES, this.ringSize + newSide);
    p.trailFrom = this.oldIdx;
    return true;
  }

  /** Drops the first `h` queued lines (placed, and in no open piece; never trailing context). */
  private compact(h: number): void {
    const n = this.qLen - h;
    this.qSrc.copyWithin(0, h, this.qLen);
    this.qSrc.fill(EMPTY, n, this.qLen);
    this.qStart.copyWithin(0, h, this.qLen);
    this.qEnd.copyWithin(0, h, this.qLen);
    this.qKind.copyWithin(0, h, this.qLen);
    this.qLen = n;
    this.queueBase += h;
    this.queueHead -= h;
    const o = this.oldHead;
    this.oldAt.copyWithin(0, o, this.oldLen);
    this.oldLen -= o;
    this.oldBase += o;
    this.oldHead = 0;
  }

  /** Byte length, as a context line, of queued old-side line number `m` after the current line. */
  private queuedOldLength(m: number): number {
    const i = (this.oldAt[this.oldHead + m] as number) - this.queueBase;
    return (this.qEnd[i] as number) - (this.qStart[i] as number);
  }

  /** Queued line `i` as a context line. */
  private queuedAsContext(i: number): Buffer {
    return rangeAsContext(this.qSrc[i] as Buffer, this.qStart[i] as number, this.qEnd[i] as number, this.qKind[i] as number);
  }

  /** Places queued line `i`. */
  private place(i: number, fromBlob: boolean): void {
    const len = (this.qEnd[i] as number) - (this.qStart[i] as number);
    const kind = this.qKind[i] as number;
    for (;;) {
      this.piece ??= this.openPiece(this.queueBase + i);
      const p = this.piece;
      const runAfter = kind === CONTEXT ? p.trailingContext + 1 : 0;
      // Trailing context: up to three old lines after the cut, at least one unless the body already
      // ends with context or the old file ends there (git apply then anchors the hunk at the end).
      const want = runAfter >= CONTEXT_LINES ? 0 : CONTEXT_LINES - runAfter;
      let blob: TrailLine[] | undefined;
      let available: number;
      if (want === 0) available = 0;
      else if (fromBlob) {
        blob = this.trailFromBlob(this.oldIdx + (kind !== ADDED ? 1 : 0), want);
        available = blob.length;
      } else available = Math.min(want, this.oldLen - this.oldHead);
      const required = runAfter === 0 && available > 0 ? 1 : 0;
      const room = p.space - p.fixed - p.bodyBytes - len;
      let trailBytes = 0;
      let k = 0;
      while (k < available) {
        const t = blob ? trailLength(blob[k] as TrailLine) : this.queuedOldLength(k);
        if (trailBytes + t > room) break;
        trailBytes += t;
        k++;
      }
      if (room >= 0 && k >= required) {
        p.bodyCount++;
        p.bodyBytes += len;
        if (kind !== ADDED) p.old++;
        if (kind !== DELETED) p.new++;
        if (kind !== CONTEXT) p.changes++;
        p.trailingContext = runAfter;
        p.trailCount = k;
        p.trailBlob = blob && k ? blob.slice(0, k) : undefined;
        this.consume(i, kind);
        // The old-side line number (hunk-local) of the first trailing line, for closePiece.
        p.trailFrom = this.oldIdx;
        return;
      }
      if (p.bodyCount) {
        this.closePiece();
        this.ctx.store.open();
        continue;
      }
      if (!this.ctx.store.isEmpty()) {
        this.piece = undefined;
        this.ctx.store.open();
        continue;
      }
      // Not even alone in an empty packet (with the one line of context a cut needs after it).
      this.piece = undefined;
      this.dropFrom(kind, len, len + (p.fixed - p.leadBytes) <= p.space);
      return;
    }
  }

  private consume(i: number, kind: number): void {
    if (kind !== ADDED) this.oldIdx++;
    if (kind !== DELETED) {
      this.newIdx++;
      this.ringPush(i, kind);
      if (this.ringSize < CONTEXT_LINES) this.ringSize++;
    }
  }

  /** Queued line `i` as the newest of the last new-side lines. */
  private ringPush(i: number, kind: number): void {
    const r = this.ringNext;
    this.ringSrc[r] = this.qSrc[i] as Buffer;
    this.ringStart[r] = this.qStart[i] as number;
    this.ringEnd[r] = this.qEnd[i] as number;
    this.ringKind[r] = kind;
    this.ringNext = (r + 1) % CONTEXT_LINES;
  }

  /** A new piece whose body starts with the line of sequence number `bodyFrom`. */
  private openPiece(bodyFrom: number): Piece {
    const { store } = this.ctx;
    const space = store.remaining() - this.file.sectionCost();
    // Lead context: the new lines just before the cut, as many as fit in an eighth of the room.
    const lead: Buffer[] = [];
    let leadBytes = 0;
    for (let i = 1; i <= this.ringSize; i++) {
      const r = (this.ringNext - i + CONTEXT_LINES) % CONTEXT_LINES;
      const b = rangeAsContext(this.ringSrc[r] as Buffer, this.ringStart[r] as number, this.ringEnd[r] as number, this.ringKind[r] as number);
      if (leadBytes + b.length > space / 8) break;
      lead.unshift(b);
      leadBytes += b.length;
    }
    const headerMax = hunkHeader(1, 0, 1, 0, this.h.heading).length + 2 * 24;
    return {
      startNew: this.newIdx,
      lead,
      leadBytes,
      fixed: headerMax + leadBytes,
      space,
      bodyFrom,
      bodyCount: 0,
      bodyBytes: 0,
      old: 0,
      new: 0,
      changes: 0,
      trailingContext: 0,
      trailCount: 0,
      trailFrom: 0,
      trailBlob: undefined,
    };
  }

  /** The trailing context the piece's last line was placed with. */
  private trailOf(p: Piece): Buffer[] {
    if (p.trailBlob) return p.trailBlob.map(trailBytes);
    const out: Buffer[] = [];
    for (let m = 0; m < p.trailCount; m++) {
      const seq = this.oldAt[p.trailFrom + m - this.oldBase] as number;
      out.push(this.queuedAsContext(seq - this.queueBase));
    }
    return out;
  }

  private closePiece(final = false): void {
    const p = this.piece as Piece;
    this.piece = undefined;
    // A hunk of context alone changes nothing, and git apply rejects it as corrupt.
    if (p.changes === 0) return;
    const lead = p.lead.length;
    const first = this.newFirst + p.startNew - lead - this.shift;
    const sectionDelta = this.file.sectionOpen() && !final ? this.file.sectionDelta : 0;
    const oldCount = lead + p.old + p.trailCount;
    const newCount = lead + p.new + p.trailCount;
    const header = hunkHeader(first - sectionDelta, oldCount, first, newCount, this.h.heading);
    const parts: Slice[] = [sliceOf(header)];
    for (const b of p.lead) parts.push(sliceOf(b));
    // The body as runs: consecutive lines of one chunk are one slice.
    let i = p.bodyFrom - this.queueBase;
    const to = i + p.bodyCount;
    while (i < to) {
      const src = this.qSrc[i] as Buffer;
      const start = this.qStart[i] as number;
      let end = this.qEnd[i] as number;
      i++;
      while (i < to && this.qSrc[i] === src && this.qStart[i] === end) end = this.qEnd[i++] as number;
      parts.push({ src, start, end });
    }
    for (const t of this.trailOf(p)) parts.push(sliceOf(t));
    this.file.writeInSection(parts, p.new - p.old, final);
  }

  /** Old lines after `oldAfter` old-side lines of this hunk, as context (from the old blob). */
  private trailFromBlob(oldAfter: number, n: number): TrailLine[] {
    if (n <= 0 || this.h.oldCount === 0) return [];
    const reader = this.ctx.oldLines();
    if (!reader) return [];
    return reader.peek(this.oldFirst + oldAfter, n);
  }

  private dropFrom(kind: number, len: number, fitsAlone: boolean): void {
    this.dropping = true;
    this.droppedDelta += kind === ADDED ? 1 : kind === DELETED ? -1 : 0;
    const side = kind === DELETED ? `old line ${this.oldFirst + this.oldIdx}` : `new line ${this.newFirst + this.newIdx}`;
    const why = fitsAlone
      ? `${side} (${len} bytes) and the old line after it, which a cut there needs as context, do not fit together in a packet of ${this.ctx.store.budget} bytes (after the packet header)`
      : `${side} is ${len} bytes, more than fits in a packet of ${this.ctx.store.budget} bytes (after the packet header)`;
    this.file.recordOmission(
      `${why}; ` + `the rest of hunk @@ -${this.h.oldStart},${this.h.oldCount} +${this.h.newStart},${this.h.newCount} @@ from that line is not in the packets`,
    );
  }
}

interface Piece {
  startNew: number;
  lead: Buffer[];
  leadBytes: number;
  /** Header allowance plus lead bytes. */
  fixed: number;
  space: number;
  /** The body: the lines of sequence numbers [bodyFrom, bodyFrom + bodyCount) of the queue. */
  bodyFrom: number;
  bodyCount: number;
  bodyBytes: number;
  old: number;
  new: number;
  changes: number;
  trailingContext: number;
  /** How many old lines after the last body line the piece ends with, from old-side line `trailFrom`. */
  trailCount: number;
  trailFrom: number;
  /** Those lines, when they came from the old blob rather than the queue. */
  trailBlob: TrailLine[] | undefined;
}

/** An old line after a cut read from the old blob (those from the diff are queued lines). */
type TrailLine = OldLine;

const MARKER_BYTES = '\n\\ No newline at end of file\n'.length;
const EMPTY = Buffer.alloc(0);

/** Its length as a context line, without building it. */
function trailLength(t: TrailLine): number {
  return 1 + t.bytes.length + (t.noNewline ? MARKER_BYTES : 0);
}

function trailBytes(t: TrailLine): Buffer {
  return contextLine(t.bytes, t.noNewline);
}
