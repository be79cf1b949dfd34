/**
 * Cuts one hunk that is larger than a packet into smaller hunks, each a patch of its own for the
 * file as it is when its packet is applied (see file-packer.ts for the numbering and context rules).
 */
import { ADDED, CONTEXT, DELETED, type DiffLine, type HunkHeader } from '../diff/parse.js';
import type { FilePacker, FilePackerContext } from './file-packer.js';
import { asContext, contextLine, firstLines, hunkHeader } from './hunk.js';
import type { OldLine } from './old-lines.js';

const CONTEXT_LINES = 3;
/** Bytes of diff a cut may look ahead for its trailing context before reading the old blob. */
const LOOKAHEAD = 1024 * 1024;

/**
 * Cuts one hunk into pieces that each fit in a packet. Positions are hunk-local counts of old-side
 * (context and deleted) and new-side (context and added) lines consumed so far.
 */
export class HunkSplitter {
  /** Line-count change of the lines that could not be placed (their piece is missing). */
  droppedDelta = 0;
  private oldIdx = 0;
  private newIdx = 0;
  /** The last new-side lines seen, as context (lead of the next piece). */
  private ring: DiffLine[] = [];
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
  /** Queue indices of old-side lines, in order (a deque with its own head). */
  private oldAt: number[] = [];
  private oldHead = 0;

  add(l: DiffLine): void {
    if (this.dropping) {
      this.droppedDelta += l.kind === ADDED ? 1 : l.kind === DELETED ? -1 : 0;
      return;
    }
    if (l.kind !== ADDED) this.oldAt.push(this.queue.length);
    this.queue.push(l);
    this.queueBytes += l.bytes.length;
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
      while (this.oldHead < this.oldAt.length && (this.oldAt[this.oldHead] as number) <= i) this.oldHead++;
      const known = this.oldAt.length - this.oldHead;
      let trail: (n: number) => TrailLine[];
      if (known >= CONTEXT_LINES || final) {
        trail = (n) => {
          const out: TrailLine[] = [];
          for (let j = this.oldHead; j < this.oldAt.length && out.length < n; j++) out.push(this.queue[this.oldAt[j] as number] as DiffLine);
          return out;
        };
      } else if (this.queueBytes > LOOKAHEAD) {
        trail = (n) => this.trailFromBlob(this.oldIdx + (l.kind !== ADDED ? 1 : 0), n);
      } else return;
      this.queueHead++;
      this.queueBytes -= l.bytes.length;
      this.place(l, trail);
      if (this.dropping) {
        for (let j = this.queueHead; j < this.queue.length; j++) {
          const d = this.queue[j] as DiffLine;
          this.droppedDelta += d.kind === ADDED ? 1 : d.kind === DELETED ? -1 : 0;
        }
        this.queueHead = this.queue.length;
      }
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) this.compact();
    }
    this.compact();
  }

  private compact(): void {
    const h = this.queueHead;
    if (h === 0) return;
    this.queue = this.queue.slice(h);
    this.oldAt = this.oldAt.slice(this.oldHead).map((j) => j - h);
    this.oldHead = 0;
    this.queueHead = 0;
  }

  private place(l: DiffLine, trailOf: (n: number) => TrailLine[]): void {
    for (;;) {
      this.piece ??= this.openPiece();
      const p = this.piece;
      const runAfter = l.kind === CONTEXT ? p.trailingContext + 1 : 0;
      // Trailing context: up to three old lines after the cut, at least one unless the body already
      // ends with context or the old file ends there (git apply then anchors the hunk at the end).
      const candidates = runAfter >= CONTEXT_LINES ? [] : trailOf(CONTEXT_LINES - runAfter);
      const required = runAfter === 0 && candidates.length > 0 ? 1 : 0;
      const room = p.space - p.fixed - p.bodyBytes - l.bytes.length;
      let trailBytes = 0;
      let k = 0;
      while (k < candidates.length && trailBytes + trailLength(candidates[k] as TrailLine) <= room) trailBytes += trailLength(candidates[k++] as TrailLine);
      if (room >= 0 && k >= required) {
        p.body.push(l.bytes);
        p.bodyBytes += l.bytes.length;
        if (l.kind !== ADDED) p.old++;
        if (l.kind !== DELETED) p.new++;
        if (l.kind !== CONTEXT) p.changes++;
        p.trailingContext = runAfter;
        p.trail = k === candidates.length ? candidates : candidates.slice(0, k);
        this.consume(l);
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
      this.dropFrom(l, l.bytes.length + (p.fixed - p.lead.reduce((n, b) => n + b.length, 0)) <= p.space);
      return;
    }
  }

  private consume(l: DiffLine): void {
    if (l.kind !== ADDED) this.oldIdx++;
    if (l.kind !== DELETED) {
      this.newIdx++;
      this.ring.push(l);
      if (this.ring.length > CONTEXT_LINES) this.ring.shift();
    }
  }

  private openPiece(): Piece {
    const { store } = this.ctx;
    const space = store.remaining() - this.file.sectionCost();
    // Lead context: the new lines just before the cut, as many as fit in an eighth of the room.
    const lead: Buffer[] = [];
    let leadBytes = 0;
    for (let i = this.ring.length - 1; i >= 0; i--) {
      const b = asContext(this.ring[i] as DiffLine);
      if (leadBytes + b.length > space / 8) break;
      lead.unshift(b);
      leadBytes += b.length;
    }
    const headerMax = hunkHeader(1, 0, 1, 0, this.h.heading).length + 2 * 24;
    return {
      startNew: this.newIdx,
      lead,
      fixed: headerMax + leadBytes,
      space,
      body: [],
      bodyBytes: 0,
      old: 0,
      new: 0,
      changes: 0,
      trailingContext: 0,
      trail: [],
    };
  }

  private closePiece(final = false): void {
    const p = this.piece as Piece;
    this.piece = undefined;
    // A hunk of context alone changes nothing, and git apply rejects it as corrupt.
    if (p.changes === 0) return;
    const lead = p.lead.length;
    const first = this.newFirst + p.startNew - lead - this.shift;
    const sectionDelta = this.file.sectionOpen() && !final ? this.file.sectionDelta : 0;
    const oldCount = lead + p.old + p.trail.length;
    const newCount = lead + p.new + p.trail.length;
    const header = hunkHeader(first - sectionDelta, oldCount, first, newCount, this.h.heading);
    const parts = [header, ...p.lead];
    for (const b of p.body) parts.push(b);
    for (const t of p.trail) parts.push(trailBytes(t));
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
      ? `${side} (${l.bytes.length} bytes) and the old line after it, which a cut there needs as context, do not fit together in a packet of ${this.ctx.store.budget} bytes (after the packet header)`
      : `${side} is ${l.bytes.length} bytes, more than fits in a packet of ${this.ctx.store.budget} bytes (after the packet header)`;
    this.file.recordOmission(
      `${why}; ` + `the rest of hunk @@ -${this.h.oldStart},${this.h.oldCount} +${this.h.newStart},${this.h.newCount} @@ from that line is not in the packets`,
    );
  }
}

interface Piece {
  startNew: number;
  lead: Buffer[];
  /** Header allowance plus lead bytes. */
  fixed: number;
  space: number;
  body: Buffer[];
  bodyBytes: number;
  old: number;
  new: number;
  changes: number;
  trailingContext: number;
  trail: TrailLine[];
}

/** An old line after a cut: from the diff (context or deleted) or from the old blob. */
type TrailLine = DiffLine | OldLine;

const MARKER_BYTES = '\n\\ No newline at end of file\n'.length;

/** Its length as a context line, without building it. */
function trailLength(t: TrailLine): number {
  return 'kind' in t ? t.bytes.length : 1 + t.bytes.length + (t.noNewline ? MARKER_BYTES : 0);
}

function trailBytes(t: TrailLine): Buffer {
  return 'kind' in t ? asContext(t) : contextLine(t.bytes, t.noNewline);
}
