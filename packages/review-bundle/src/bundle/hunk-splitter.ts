/**
 * Cuts one hunk that is larger than a packet into smaller hunks, each a patch of its own for the
 * file as it is when its packet is applied (see file-packer.ts for the numbering and context rules).
 */
import { ADDED, CONTEXT, DELETED, type DiffLine, type HunkHeader, type Slice, sliceOf } from '../diff/parse.js';
import type { FilePacker, FilePackerContext } from './file-packer.js';
import { asContext, contextLine, firstLines, hunkHeader } from './hunk.js';
import type { OldLine } from './old-lines.js';

const CONTEXT_LINES = 3;
/** Bytes of diff a cut may look ahead for its trailing context before reading the old blob. */
const LOOKAHEAD = 1024 * 1024;

/**
 * Cuts one hunk into pieces that each fit in a packet. Positions are hunk-local counts of old-side
 * (context and deleted) and new-side (context and added) lines consumed so far.
 *
 * This runs once per line of every hunk larger than a packet, so it allocates nothing per line: the
 * queue and its index of old-side lines are arrays with moving heads (compacted now and then), the
 * trailing context a line would need is measured in place, and a piece remembers only how many of
 * those old lines it takes; they are looked up when the piece is closed.
 */
export class HunkSplitter {
  /** Line-count change of the lines that could not be placed (their piece is missing). */
  droppedDelta = 0;
  private oldIdx = 0;
  private newIdx = 0;
  /** The last new-side lines seen, as context (lead of the next piece): a ring of CONTEXT_LINES. */
  private readonly ring: (DiffLine | undefined)[] = [undefined, undefined, undefined];
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
  private queue: DiffLine[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  /** Sequence number (lines added so far) of queue[0]. */
  private queueBase = 0;
  /** Sequence numbers of the queued old-side lines, in order; oldAt[0] is old-side line `oldBase`. */
  private oldAt: number[] = [];
  private oldHead = 0;
  private oldBase = 0;

  add(l: DiffLine): void {
    if (this.dropping) {
      this.droppedDelta += l.kind === ADDED ? 1 : l.kind === DELETED ? -1 : 0;
      return;
    }
    if (l.kind !== ADDED) this.oldAt.push(this.queueBase + this.queue.length);
    this.queue.push(l);
    this.queueBytes += l.end - l.start;
    this.drain(false);
  }

  finish(): void {
    this.drain(true);
    // The last piece of a deletion (nothing dropped) removes the file.
    if (this.piece?.body.length) this.closePiece(this.file.isDeletion && !this.dropping);
    this.piece = undefined;
  }

  private drain(final: boolean): void {
    while (this.queueHead < this.queue.length) {
      const i = this.queueHead;
      const l = this.queue[i] as DiffLine;
      const seq = this.queueBase + i;
      while (this.oldHead < this.oldAt.length && (this.oldAt[this.oldHead] as number) <= seq) this.oldHead++;
      const known = this.oldAt.length - this.oldHead;
      let fromBlob: boolean;
      if (known >= CONTEXT_LINES || final) fromBlob = false;
      else if (this.queueBytes > LOOKAHEAD) fromBlob = true;
      else return;
      this.queueHead++;
      this.queueBytes -= l.end - l.start;
      this.place(l, fromBlob);
      if (this.dropping) {
        for (let j = this.queueHead; j < this.queue.length; j++) {
          const d = this.queue[j] as DiffLine;
          this.droppedDelta += d.kind === ADDED ? 1 : d.kind === DELETED ? -1 : 0;
        }
        this.queueHead = this.queue.length;
      }
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) this.compact();
    }
  }

  /** Drops placed lines from the queue (never the ones a piece may still take as trailing context). */
  private compact(): void {
    const h = this.queueHead;
    this.queue = this.queue.slice(h);
    this.queueBase += h;
    this.queueHead = 0;
    const o = this.oldHead;
    this.oldAt = this.oldAt.slice(o);
    this.oldBase += o;
    this.oldHead = 0;
  }

  /** Byte length, as a context line, of queued old-side line number `m` after the current line. */
  private queuedOldLength(m: number): number {
    const l = this.queue[(this.oldAt[this.oldHead + m] as number) - this.queueBase] as DiffLine;
    return l.end - l.start;
  }

  private place(l: DiffLine, fromBlob: boolean): void {
    const len = l.end - l.start;
    for (;;) {
      this.piece ??= this.openPiece();
      const p = this.piece;
      const runAfter = l.kind === CONTEXT ? p.trailingContext + 1 : 0;
      // Trailing context: up to three old lines after the cut, at least one unless the body already
      // ends with context or the old file ends there (git apply then anchors the hunk at the end).
      const want = runAfter >= CONTEXT_LINES ? 0 : CONTEXT_LINES - runAfter;
      let blob: TrailLine[] | undefined;
      let available: number;
      if (want === 0) available = 0;
      else if (fromBlob) {
        blob = this.trailFromBlob(this.oldIdx + (l.kind !== ADDED ? 1 : 0), want);
        available = blob.length;
      } else available = Math.min(want, this.oldAt.length - this.oldHead);
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
        p.body.push(l);
        p.bodyBytes += len;
        if (l.kind !== ADDED) p.old++;
        if (l.kind !== DELETED) p.new++;
        if (l.kind !== CONTEXT) p.changes++;
        p.trailingContext = runAfter;
        p.trailCount = k;
        p.trailBlob = blob && k ? blob.slice(0, k) : undefined;
        this.consume(l);
        // The old-side line number (hunk-local) of the first trailing line, for closePiece.
        p.trailFrom = this.oldIdx;
        return;
      }
      if (p.body.length) {
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
      this.dropFrom(l, len + (p.fixed - p.leadBytes) <= p.space);
      return;
    }
  }

  private consume(l: DiffLine): void {
    if (l.kind !== ADDED) this.oldIdx++;
    if (l.kind !== DELETED) {
      this.newIdx++;
      this.ring[this.ringNext] = l;
      this.ringNext = (this.ringNext + 1) % CONTEXT_LINES;
      if (this.ringSize < CONTEXT_LINES) this.ringSize++;
    }
  }

  private openPiece(): Piece {
    const { store } = this.ctx;
    const space = store.remaining() - this.file.sectionCost();
    // Lead context: the new lines just before the cut, as many as fit in an eighth of the room.
    const lead: Buffer[] = [];
    let leadBytes = 0;
    for (let i = 1; i <= this.ringSize; i++) {
      const b = asContext(this.ring[(this.ringNext - i + CONTEXT_LINES) % CONTEXT_LINES] as DiffLine);
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
      body: [],
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
      out.push(asContext(this.queue[seq - this.queueBase] as DiffLine));
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
    for (const b of p.body) parts.push(b);
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

  private dropFrom(l: DiffLine, fitsAlone: boolean): void {
    this.dropping = true;
    this.droppedDelta += l.kind === ADDED ? 1 : l.kind === DELETED ? -1 : 0;
    const side = l.kind === DELETED ? `old line ${this.oldFirst + this.oldIdx}` : `new line ${this.newFirst + this.newIdx}`;
    const why = fitsAlone
      ? `${side} (${l.end - l.start} bytes) and the old line after it, which a cut there needs as context, do not fit together in a packet of ${this.ctx.store.budget} bytes (after the packet header)`
      : `${side} is ${l.end - l.start} bytes, more than fits in a packet of ${this.ctx.store.budget} bytes (after the packet header)`;
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
  body: DiffLine[];
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

/** An old line after a cut: from the diff (context or deleted) or from the old blob. */
type TrailLine = DiffLine | OldLine;

const MARKER_BYTES = '\n\\ No newline at end of file\n'.length;

/** Its length as a context line, without building it. */
function trailLength(t: TrailLine): number {
  return 'kind' in t ? t.end - t.start : 1 + t.bytes.length + (t.noNewline ? MARKER_BYTES : 0);
}

function trailBytes(t: TrailLine): Buffer {
  return 'kind' in t ? asContext(t) : contextLine(t.bytes, t.noNewline);
}
