/**
 * Packet bodies on disk while the diff streams through. A packet is filled up to its budget (the
 * size cap less the room kept for its prose header, which is written when the total is known) and
 * never beyond: a write that would overflow is a bug and throws rather than produce a packet larger
 * than the cap.
 */
import { closeSync, openSync, rmSync, writevSync } from 'node:fs';
import { join } from 'node:path';

const FLUSH_BYTES = 256 * 1024;

export class PacketStore {
  /** Packets opened so far; the current one is number `count` (1-based). */
  count = 0;
  /** Body bytes per packet (index 0 = packet 1). */
  readonly sizes: number[] = [];
  /** Which file wrote last into the current packet (a file's section continues only if it did). */
  owner: number | undefined;
  private size = 0;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly dir: string,
    readonly budget: number,
  ) {}

  static bodyPath(dir: string, n: number): string {
    return join(dir, `packet_${String(n).padStart(6, '0')}.body`);
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
    this.close();
    this.count++;
    this.size = 0;
    this.owner = undefined;
    this.sizes.push(0);
    this.fd = openSync(PacketStore.bodyPath(this.dir, this.count), 'wx', 0o600);
  }

  write(owner: number, ...parts: Buffer[]): void {
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

  /** Closes the last packet, dropping it if nothing was written to it. */
  finish(): void {
    this.close();
    if (this.count > 0 && this.size === 0) {
      rmSync(PacketStore.bodyPath(this.dir, this.count), { force: true });
      this.sizes.pop();
      this.count--;
      this.size = this.sizes[this.count - 1] ?? 0;
    }
  }

  close(): void {
    if (this.fd === -1) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  private flush(): void {
    let parts = this.pending;
    while (parts.length) {
      // writev takes at most IOV_MAX (1024) buffers per call.
      const batch = parts.slice(0, 1024);
      let written = writevSync(this.fd, batch);
      let total = 0;
      for (const b of batch) total += b.length;
      if (written < total) {
        // A short write: write the rest of this batch one buffer at a time.
        for (const b of batch) {
          if (written >= b.length) {
            written -= b.length;
            continue;
          }
          let off = written;
          while (off < b.length) off += writevSync(this.fd, [b.subarray(off)]);
          written = 0;
        }
      }
      parts = parts.slice(1024);
    }
    this.pending = [];
    this.pendingBytes = 0;
  }
}
