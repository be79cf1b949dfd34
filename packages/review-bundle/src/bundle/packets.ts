/**
 * The packet being filled, in memory, and the hand-off of each full one to its writer. A packet is
 * filled up to its budget — the size cap less the room kept for its prose header — and never beyond:
 * a write that would overflow is a bug and throws rather than produce a packet larger than the cap.
 *
 * Memory: one packet buffer (the cap) is filled; a full packet is passed on whole and written while
 * the next one fills. The prose goes into room kept at the front of the same buffer, so the writer
 * gets the packet as one contiguous slice (one write, one digest, one deflate call).
 */

import type { Slice } from '../diff/parse.js';

/** Receives each finished packet, in order, exactly once. */
export interface PacketSink {
  /** `data` is the whole packet (prose + body); `last` is true only for the final one. */
  packet(index: number, data: Buffer, last: boolean): void;
}

export class PacketStore {
  /** Packets opened so far; the current one is number `count` (1-based). */
  count = 0;
  /** Which file wrote last into the current packet (a file's section continues only if it did). */
  owner: number | undefined;
  private size = 0;
  private buf: Buffer | undefined;
  /** A full packet not yet handed on: whether it is the last is known only once the next one is used. */
  private held: { index: number; buf: Buffer; size: number } | undefined;

  constructor(
    readonly budget: number,
    /** Bytes kept in front of every body for the prose (at least its longest form). */
    private readonly reserve: number,
    private readonly prose: (index: number, last: boolean) => Buffer,
    private readonly sink: PacketSink,
    /** A buffer for the next packet (it is handed on whole, so never a slice of a shared pool). */
    private readonly alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafeSlow(size),
  ) {}

  /** Bytes that still fit in the current packet (0 when none is open). */
  remaining(): number {
    return this.count === 0 ? 0 : this.budget - this.size;
  }

  isEmpty(): boolean {
    return this.count === 0 || this.size === 0;
  }

  /** Starts a new packet; an empty current packet is reused, so no packet is ever empty. */
  open(): void {
    if (this.count > 0 && this.size === 0) {
      this.owner = undefined;
      return;
    }
    if (this.buf) this.held = { index: this.count, buf: this.buf, size: this.size };
    this.count++;
    this.size = 0;
    this.owner = undefined;
    this.buf = this.alloc(this.reserve + this.budget);
  }

  write(owner: number, parts: Slice[]): void {
    let n = 0;
    for (const p of parts) n += p.end - p.start;
    if (this.count === 0 || this.size + n > this.budget) {
      throw new Error(`internal error: ${n} bytes do not fit in packet ${this.count} (${this.size} of ${this.budget} used)`);
    }
    if (this.held) this.release(false);
    const buf = this.buf as Buffer;
    let at = this.reserve + this.size;
    // Consecutive lines of one chunk are one range: copy runs, not lines.
    let src: Buffer | undefined;
    let from = 0;
    let to = 0;
    for (const p of parts) {
      if (p.src === src && p.start === to) {
        to = p.end;
        continue;
      }
      if (src) at += src.copy(buf, at, from, to);
      src = p.src;
      from = p.start;
      to = p.end;
    }
    if (src) src.copy(buf, at, from, to);
    this.size += n;
    this.owner = owner;
  }

  /** Ends writing: hands on the last packet; drops a last packet that stayed empty. */
  finish(): void {
    if (this.count > 0 && this.size === 0) {
      this.count--;
      this.buf = undefined;
    }
    if (this.held) this.release(true);
    else if (this.buf) {
      this.held = { index: this.count, buf: this.buf, size: this.size };
      this.release(true);
    }
    this.buf = undefined;
  }

  private release(last: boolean): void {
    const h = this.held as NonNullable<typeof this.held>;
    this.held = undefined;
    const prose = this.prose(h.index, last);
    if (prose.length > this.reserve) throw new Error(`internal error: the prose of packet ${h.index} is longer than the room kept for it`);
    const start = this.reserve - prose.length;
    h.buf.set(prose, start);
    this.sink.packet(h.index, h.buf.subarray(start, this.reserve + h.size), last);
  }
}
