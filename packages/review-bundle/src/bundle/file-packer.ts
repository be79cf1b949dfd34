/**
 * Places one file's diff into packets.
 *
 * A file that fits in a packet is written whole (into the current packet if there is room, else into
 * a new one). A larger file is cut at hunk boundaries; a hunk larger than a packet is cut into
 * smaller hunks. Every piece is a patch of its own that applies after the pieces before it, so its
 * hunk header is renumbered for the file as it is at that moment (all earlier pieces applied, the
 * rest still as in SINCE) and it carries context: up to three lines of the new text before the cut
 * and up to three old lines after it, the latter read from the old blob (see OldBlobLines).
 *
 * Memory: a file is buffered only up to the packet budget (or maxBuffer, if smaller) before the
 * packer commits to cutting it; a cut hunk streams with a piece (at most one packet) in memory.
 */
import { ADDED, CONTEXT, DELETED, type DiffLine, type FileHeader, type HunkHeader } from '../diff/parse.js';
import { asContext, contextLine, continuationHeader, deletionHeader, firstLines, hunkHeader } from './hunk.js';
import type { OldBlobLines, OldLine } from './old-lines.js';
import type { PacketStore } from './packets.js';

/** Room kept for a renumbered hunk header beyond the original heading. */
const HUNK_HEADER_SLACK = 64;
const CONTEXT_LINES = 3;
/** Bytes of diff a cut may look ahead for its trailing context before reading the old blob. */
const LOOKAHEAD = 1024 * 1024;

export interface FilePackerContext {
  store: PacketStore;
  fileId: number;
  header: FileHeader;
  /** Opens the old blob's lines on first use (undefined when the file is new). */
  oldLines: () => OldBlobLines | undefined;
  maxBuffer: number;
}

interface BufferedHunk {
  h: HunkHeader;
  lines: DiffLine[];
  bytes: number;
}

export class FilePacker {
  readonly packets = new Set<number>();
  /** Why parts of this file are missing from the packets (an honest "partial"). */
  readonly omissions: string[] = [];

  private mode: 'buffer' | 'split' = 'buffer';
  private readonly headerBytes: Buffer;
  private buffered: BufferedHunk[] = [];
  private bufferedBytes: number;
  private current: BufferedHunk | undefined;

  // Split mode.
  private sectionIndex = 0;
  /** Line-count change of what this section wrote so far (renumbers the next hunk's old side). */
  sectionDelta = 0;
  /** Line-count change of lines left out (too long to fit): later positions shift back by it. */
  private droppedShift = 0;
  private readonly contHeader: Buffer;
  /** For a deletion: the header of its last piece, which removes the file. */
  private readonly finalHeader: Buffer | undefined;
  private splitter: HunkSplitter | undefined;
  private streaming = false;

  constructor(private readonly ctx: FilePackerContext) {
    this.headerBytes = Buffer.concat(ctx.header.raw);
    this.bufferedBytes = this.headerBytes.length;
    this.contHeader = continuationHeader((ctx.header.newPath ?? ctx.header.oldPath) as Buffer);
    if (ctx.header.change === 'deleted') this.finalHeader = deletionHeader(ctx.header);
  }

  get isDeletion(): boolean {
    return this.finalHeader !== undefined;
  }

  private get limit(): number {
    return Math.min(this.ctx.store.budget, this.ctx.maxBuffer);
  }

  hunkStart(h: HunkHeader): void {
    const hunk = { h, lines: [], bytes: h.raw.length };
    if (this.mode === 'buffer') {
      this.buffered.push(hunk);
      this.bufferedBytes += h.raw.length;
      this.current = hunk;
      if (this.bufferedBytes > this.limit) this.enterSplit();
      return;
    }
    this.splitHunkStart(hunk);
  }

  line(l: DiffLine): void {
    if (this.mode === 'buffer') {
      (this.current as BufferedHunk).lines.push(l);
      this.bufferedBytes += l.bytes.length;
      if (this.bufferedBytes > this.limit) this.enterSplit();
      return;
    }
    this.splitLine(l);
  }

  hunkEnd(): void {
    if (this.mode === 'buffer') {
      this.current = undefined;
      return;
    }
    this.splitHunkEnd();
  }

  end(): void {
    if (this.mode === 'buffer') {
      this.placeWhole();
      return;
    }
  }

  /** The whole file in one packet: the current one if it has room, else a new one. */
  private placeWhole(): void {
    const { store } = this.ctx;
    if (this.bufferedBytes > store.remaining()) store.open();
    const parts: Buffer[] = [this.headerBytes];
    for (const hunk of this.buffered) {
      parts.push(hunk.h.raw);
      for (const l of hunk.lines) parts.push(l.bytes);
    }
    this.write(parts);
    this.buffered = [];
  }

  private write(parts: Buffer[]): void {
    this.ctx.store.write(this.ctx.fileId, parts);
    this.packets.add(this.ctx.store.count);
  }

  /** The file is larger than a packet: from here on it is cut, starting with what was buffered. */
  private enterSplit(): void {
    this.mode = 'split';
    const { store } = this.ctx;
    // Start in a fresh packet unless the current one still has a good share of its room.
    if (store.remaining() < store.budget / 4) store.open();
    const buffered = this.buffered;
    const open = this.current;
    this.buffered = [];
    this.current = undefined;
    for (const hunk of buffered) {
      this.splitHunkStart({ h: hunk.h, lines: [], bytes: hunk.h.raw.length });
      for (const l of hunk.lines) this.splitLine(l);
      if (hunk !== open) this.splitHunkEnd();
    }
  }

  // ---- split mode -------------------------------------------------------------------------------

  private pendingHunk: BufferedHunk | undefined;

  /** Whether the current packet holds this file's open section (so no header is needed). */
  sectionOpen(): boolean {
    return this.ctx.store.owner === this.ctx.fileId && this.ctx.store.count === this.sectionIndex;
  }

  /**
   * The header that opens a section of this file in a packet. The first section carries git's own
   * header (creation, rename, mode change); a deletion's pieces are modifications until the last.
   */
  sectionHeader(final = false): Buffer {
    if (this.finalHeader) return final ? this.finalHeader : this.contHeader;
    return this.sectionIndex === 0 ? this.headerBytes : this.contHeader;
  }

  /** Writes a hunk (or piece) into the file's section, opening one if needed. */
  writeInSection(parts: Buffer[], delta: number, final = false): void {
    if (!this.sectionOpen() || final) {
      const header = this.sectionHeader(final);
      this.sectionIndex = this.ctx.store.count;
      this.sectionDelta = 0;
      parts = [header, ...parts];
    }
    this.write(parts);
    this.sectionDelta += delta;
  }

  /** Bytes a section header costs in the current packet right now (a deletion's last is longer). */
  sectionCost(): number {
    if (this.finalHeader) return this.finalHeader.length;
    return this.sectionOpen() ? 0 : this.sectionHeader().length;
  }

  private wholeHunkLimit(h: HunkHeader): number {
    const header = Math.max(this.headerBytes.length, this.contHeader.length, this.finalHeader?.length ?? 0);
    return Math.min(this.ctx.store.budget - header - h.raw.length - HUNK_HEADER_SLACK, this.ctx.maxBuffer);
  }

  private splitHunkStart(hunk: BufferedHunk): void {
    this.pendingHunk = hunk;
    this.streaming = false;
  }

  private splitLine(l: DiffLine): void {
    if (this.streaming) {
      (this.splitter as HunkSplitter).add(l);
      return;
    }
    const hunk = this.pendingHunk as BufferedHunk;
    hunk.lines.push(l);
    hunk.bytes += l.bytes.length;
    if (hunk.bytes > this.wholeHunkLimit(hunk.h)) this.startStreaming(hunk);
  }

  private splitHunkEnd(): void {
    const hunk = this.pendingHunk as BufferedHunk;
    this.pendingHunk = undefined;
    if (this.streaming) {
      (this.splitter as HunkSplitter).finish();
      this.droppedShift += (this.splitter as HunkSplitter).droppedDelta;
      this.splitter = undefined;
      this.streaming = false;
      return;
    }
    this.placeHunk(hunk);
  }

  /** A hunk that fits in a packet: renumbered, in this packet or the next. */
  private placeHunk(hunk: BufferedHunk): void {
    const { store } = this.ctx;
    const { h } = hunk;
    const first = firstLines(h).newFirst - this.droppedShift;
    const render = () => hunkHeader(first - (this.sectionOpen() ? this.sectionDelta : 0), h.oldCount, first, h.newCount, h.heading);
    let header = render();
    if (this.sectionCost() + header.length + hunk.bytes - h.raw.length > store.remaining()) {
      store.open();
      header = render();
    }
    // A deletion has one hunk: placed whole, it is the last piece.
    this.writeInSection([header, ...hunk.lines.map((l) => l.bytes)], h.newCount - h.oldCount, this.isDeletion);
  }

  private startStreaming(hunk: BufferedHunk): void {
    const { store } = this.ctx;
    // A hunk too big for what is left of this packet starts in a fresh one when this one is full.
    if (store.remaining() - this.sectionCost() < store.budget / 4) store.open();
    this.streaming = true;
    this.splitter = new HunkSplitter(this, this.ctx, hunk.h, this.droppedShift);
    for (const l of hunk.lines) this.splitter.add(l);
  }

  recordOmission(reason: string): void {
    this.omissions.push(reason);
  }
}

/**
 * Cuts one hunk into pieces that each fit in a packet. Positions are hunk-local counts of old-side
 * (context and deleted) and new-side (context and added) lines consumed so far.
 */
class HunkSplitter {
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
