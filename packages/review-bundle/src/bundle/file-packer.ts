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
import type { FileHeader, HunkHeader, LineBatch, Slice } from '../diff/parse.js';
import { sliceOf } from '../diff/parse.js';
import { continuationHeader, deletionHeader, firstLines, hunkHeader } from './hunk.js';
import { HunkSplitter } from './hunk-splitter.js';
import type { OldBlobLines } from './old-lines.js';
import type { PacketStore } from './packets.js';

/** Room kept for a renumbered hunk header beyond the original heading. */
const HUNK_HEADER_SLACK = 64;

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
  runs: LineBatch[];
  bytes: number;
}

/** The runs' bytes as parts of a packet. */
function runParts(parts: Slice[], runs: LineBatch[]): void {
  for (const r of runs) parts.push({ src: r.src, start: r.begin, end: r.end });
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
    const hunk: BufferedHunk = { h, runs: [], bytes: h.raw.length };
    if (this.mode === 'buffer') {
      this.buffered.push(hunk);
      this.bufferedBytes += h.raw.length;
      this.current = hunk;
      if (this.bufferedBytes > this.limit) this.enterSplit();
      return;
    }
    this.splitHunkStart(hunk);
  }

  lines(b: LineBatch): void {
    if (this.mode === 'buffer') {
      const hunk = this.current as BufferedHunk;
      const bytes = b.bytes;
      hunk.runs.push(b);
      hunk.bytes += bytes;
      this.bufferedBytes += bytes;
      // Only the total matters (see enterSplit), so checking once per run is the same as per line.
      if (this.bufferedBytes > this.limit) this.enterSplit();
      return;
    }
    this.splitLines(b);
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
    const parts: Slice[] = [sliceOf(this.headerBytes)];
    for (const hunk of this.buffered) {
      parts.push(sliceOf(hunk.h.raw));
      runParts(parts, hunk.runs);
    }
    this.write(parts);
    this.buffered = [];
  }

  private write(parts: Slice[]): void {
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
    // Each hunk as if its lines came one by one: a hunk starts streaming once it outgrows a packet,
    // and whether (and then with which lines) depends only on its size so far.
    for (const hunk of buffered) {
      this.splitHunkStart(hunk);
      if (hunk.bytes > this.wholeHunkLimit(hunk.h)) this.startStreaming(hunk);
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
  writeInSection(parts: Slice[], delta: number, final = false): void {
    if (!this.sectionOpen() || final) {
      const header = this.sectionHeader(final);
      this.sectionIndex = this.ctx.store.count;
      this.sectionDelta = 0;
      parts.unshift(sliceOf(header));
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

  private splitLines(b: LineBatch): void {
    if (this.streaming) {
      (this.splitter as HunkSplitter).add(b);
      return;
    }
    const hunk = this.pendingHunk as BufferedHunk;
    hunk.runs.push(b);
    hunk.bytes += b.bytes;
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
    const parts: Slice[] = [sliceOf(header)];
    runParts(parts, hunk.runs);
    this.writeInSection(parts, h.newCount - h.oldCount, this.isDeletion);
  }

  private startStreaming(hunk: BufferedHunk): void {
    const { store } = this.ctx;
    // A hunk too big for what is left of this packet starts in a fresh one when this one is full.
    if (store.remaining() - this.sectionCost() < store.budget / 4) store.open();
    this.streaming = true;
    this.splitter = new HunkSplitter(this, this.ctx, hunk.h, this.droppedShift);
    for (const b of hunk.runs) this.splitter.add(b);
  }

  recordOmission(reason: string): void {
    this.omissions.push(reason);
  }
}
