/**
 * Packet bodies on disk while the diff streams through, one after another in a single spool file
 * (creating a file per packet costs more than writing it). A packet is filled up to its budget —
 * the size cap less the room kept for its prose header, written at the end when the total is
 * known — and never beyond: a write that would overflow is a bug and throws rather than produce a
 * packet larger than the cap.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FLUSH_BYTES = 256 * 1024;

export class PacketStore {
  /** Packets opened so far; the current one is number `count` (1-based). */
  count = 0;
  /** Body bytes per packet (index 0 = packet 1); bodies lie back to back in the spool. */
  readonly sizes: number[] = [];
  /** Which file wrote last into the current packet (a file's section continues only if it did). */
  owner: number | undefined;
  readonly file: string;
  private size = 0;
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    dir: string,
    readonly budget: number,
  ) {
    this.file = join(dir, 'packets.spool');
    this.fd = openSync(this.file, 'wx+', 0o600);
  }

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
    this.count++;
    this.size = 0;
    this.owner = undefined;
    this.sizes.push(0);
  }

  write(owner: number, parts: Buffer[]): void {
    let n = 0;
    for (const p of parts) n += p.length;
    if (this.count === 0 || this.size + n > this.budget) {
      throw new Error(`internal error: ${n} bytes do not fit in packet ${this.count} (${this.size} of ${this.budget} used)`);
    }
    for (const p of parts) this.pending.push(p);
    this.pendingBytes += n;
    this.size += n;
    this.sizes[this.count - 1] = this.size;
    this.owner = owner;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /** Ends writing; drops a last packet that stayed empty. */
  finish(): void {
    this.flush();
    if (this.count > 0 && this.size === 0) {
      this.sizes.pop();
      this.count--;
    }
  }

  /** Calls `each` with packet `n`'s body in chunks (after finish). */
  readBody(n: number, each: (chunk: Buffer) => void): void {
    let offset = 0;
    for (let i = 0; i < n - 1; i++) offset += this.sizes[i] as number;
    let left = this.sizes[n - 1] as number;
    while (left > 0) {
      const chunk = Buffer.allocUnsafe(Math.min(left, 1024 * 1024));
      const got = readSync(this.fd, chunk, 0, chunk.length, offset);
      if (got <= 0) throw new Error(`internal error: packet ${n} is short in the spool`);
      each(chunk.subarray(0, got));
      offset += got;
      left -= got;
    }
  }

  close(): void {
    if (this.fd === -1) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private flush(): void {
    if (!this.pending.length) return;
    // One copy into a single buffer is cheaper than a writev of thousands of line-sized pieces.
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    let off = 0;
    while (off < all.length) off += writeSync(this.fd, all, off, all.length - off);
    this.pending = [];
    this.pendingBytes = 0;
  }
}
