/**
 * Writes each packet as soon as it is full, while the diff still streams: its file and its sha256
 * at once, and its tar entry (header, then content) into one gzip stream, compressed on libuv's
 * thread pool, whose output is appended to a spool: the archive's body, compressed by a single
 * compressor (no set-up per packet; zlib computes the CRC-32 as it reads). No thread of our own:
 * on 2 cores a worker thread cost more CPU than it took off the main thread (its boot alone is some
 * 80-100 ms of CPU, and every packet handed over woke it). A packet's buffer is reused once the
 * compressor has read it; a window of packets in flight bounds memory to a few caps: the reader
 * waits on `drain()` when the window is full.
 *
 * Packet files are named for up to 999 packets (`packet_001.txt`); a bundle with more is renamed to
 * the wider width at the end, and its archive is then compressed again from the packet files (the
 * streamed one names them with the narrower width).
 */

import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Gzip } from 'node:zlib';
import { crypto, zlib } from './builtins.js';
import type { PacketSink } from './packets.js';
import {
  crc32Combine,
  DEFLATE_LEVEL,
  deflatePiece,
  type EntryOrder,
  GZIP_HEADER,
  gzipTrailer,
  type Piece,
  TAR_BLOCK,
  TAR_END,
  tarHeader,
  tarPadding,
  tarPaddingLength,
} from './tar.js';

/**
 * Packets in flight at once: as many as fit in WINDOW_BYTES, between 8 and 64. Memory in flight
 * is bounded by the larger of WINDOW_BYTES and 8 caps, whatever the size of the diff.
 */
const WINDOW_BYTES = 4 * 1024 * 1024;
const WINDOW_MIN = 8;
const WINDOW_MAX = 64;
const MIN_WIDTH = 3;

export interface WrittenPacket {
  name: string;
  bytes: number;
  sha256: string;
}

export const packetName = (index: number, width: number) => `packet_${String(index).padStart(width, '0')}.txt`;

export class PacketWriter implements PacketSink {
  readonly written: WrittenPacket[] = [];
  private gzip: Gzip | undefined;
  private spoolFd = -1;
  /** Bytes of the spool written so far. */
  private spoolAt = 0;
  private posted = 0;
  /** Packets the compressor has read (it reads them in order). */
  private completed = 0;
  /** The buffers of the packets in flight, in order. */
  private readonly inFlight: Buffer[] = [];
  private failure: Error | undefined;
  private waiter: { below: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private spoolLength = -1;
  /** Packet buffers done with, for the next packets. */
  private readonly free: Buffer[] = [];
  private prevBytes = 0;
  /** Packets in flight at once (set from the packet size on the first take()). */
  private window = WINDOW_MIN;

  /** The packet folder (created on the first packet). */
  private dir = '';
  /** The same folder as named inside the archive (`review_packets/<stamp>`). */
  private dirRel = '';
  /** The spool of the compressed archive body. */
  private spoolFile = '';

  /** Where the packets go; set before the first packet. */
  target(dir: string, dirRel: string, spoolFile: string): void {
    this.dir = dir;
    this.dirRel = dirRel;
    this.spoolFile = spoolFile;
  }

  /** The entries' mtime in the archive (TO's commit time); set before the first packet. */
  mtime = 0;

  /** A packet buffer of `size` bytes (one done with, when there is one). */
  take(size: number): Buffer {
    if (this.posted === 0) this.window = Math.min(WINDOW_MAX, Math.max(WINDOW_MIN, Math.floor(WINDOW_BYTES / size)));
    const b = this.free.pop();
    return b && b.length === size ? b : Buffer.allocUnsafeSlow(size);
  }

  /** Starts writing packet `index`; `data` must be a view of a buffer from take(). */
  packet(index: number, data: Buffer): void {
    if (this.failure) throw this.failure;
    if (index !== this.posted + 1) throw new Error(`internal error: packet ${index} came out of order`);
    const gzip = this.start();
    const name = packetName(index, MIN_WIDTH);
    let sha256: string;
    try {
      sha256 = crypto().hash('sha256', data, 'hex');
    } catch (e) {
      throw this.fail(new Error(`could not hash packet ${index}: ${(e as Error).message}`));
    }
    try {
      const fd = openSync(join(this.dir, name), 'wx', 0o644);
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw this.fail(new Error(`could not write packet ${index}: ${(e as Error).message}`));
    }
    this.posted++;
    this.written.push({ name, bytes: data.length, sha256 });
    this.inFlight.push(Buffer.from(data.buffer, 0, data.buffer.byteLength));
    // The tar header of this packet carries the padding of the previous entry in front of it.
    gzip.write(Buffer.concat([tarPadding(this.prevBytes), tarHeader(`${this.dirRel}/${name}`, data.length, false, this.mtime)]));
    this.prevBytes = data.length;
    gzip.write(data, (e) => {
      if (e) this.fail(new Error(`could not compress packet ${index}: ${e.message}`));
      else this.done();
    });
  }

  /** True when the reader should wait for `drain()` before reading on. */
  get full(): boolean {
    return this.posted - this.completed > this.window;
  }

  /** Waits until at most `keep` packets are in flight. */
  drain(keep = this.window): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.posted - this.completed <= keep) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiter = { below: keep, resolve, reject };
    });
  }

  /** Waits for every packet; returns them, renamed to the final width when there are over 999. */
  async finish(): Promise<WrittenPacket[]> {
    await this.drain(0);
    const gzip = this.gzip;
    if (gzip) {
      // The end of the tar archive closes the stream.
      const tail = Buffer.concat([tarPadding(this.prevBytes), TAR_END]);
      this.spoolLength = await new Promise<number>((resolve, reject) => {
        this.waiter = { below: Number.POSITIVE_INFINITY, resolve: () => {}, reject };
        gzip.on('end', () => resolve(this.spoolAt));
        gzip.end(tail);
      });
      this.waiter = undefined;
    }
    const width = Math.max(MIN_WIDTH, String(this.written.length).length);
    if (width !== MIN_WIDTH) {
      for (const [k, p] of this.written.entries()) {
        const name = packetName(k + 1, width);
        if (name !== p.name) renameSync(join(this.dir, p.name), join(this.dir, name));
        p.name = name;
      }
    }
    return this.written;
  }

  /** Stops the compressor (nothing is written after this). */
  async settle(): Promise<void> {
    this.gzip?.destroy();
    this.gzip = undefined;
    if (this.spoolFd !== -1) closeSync(this.spoolFd);
    this.spoolFd = -1;
  }

  /**
   * Writes the archive: `head` (README and HOW_TO_PASTE.txt entries, already a piece), then every
   * packet with its tar header and the end of the archive — the streamed body from the spool, or,
   * with over 999 packets (their names changed), compressed again from the packet files. Returns
   * its sha256, computed while writing, from the bytes written.
   */
  writeArchive(out: string, head: Piece, order: EntryOrder): string {
    const hash = crypto().createHash('sha256');
    const fd = openSync(out, 'wx', 0o644);
    try {
      const put = (b: Buffer) => {
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off);
        hash.update(b);
      };
      put(GZIP_HEADER);
      put(head.deflated);
      let crc = head.crc;
      let length = head.length;
      const width = Math.max(MIN_WIDTH, String(this.written.length).length);
      for (const p of this.written) order.next(`${this.dirRel}/${p.name}`);
      if (this.spoolLength >= 0 && width === MIN_WIDTH) {
        // The spool is one gzip member: its deflate body goes in as it is; its trailer has the
        // CRC-32 of what went in, and the length is counted here (the trailer's is modulo 2^32).
        const trailer = Buffer.alloc(8);
        if (this.spoolLength < GZIP_HEADER.length + trailer.length || readSync(this.spoolFd, trailer, 0, 8, this.spoolLength - 8) !== 8) {
          throw new Error('internal error: the archive spool is short');
        }
        this.copySpool(put, GZIP_HEADER.length, this.spoolLength - GZIP_HEADER.length - trailer.length);
        // Each packet's entry is its header, its bytes and their padding (the spool has them all:
        // counted here, not built again).
        let bodyLength = TAR_END.length;
        for (const p of this.written) bodyLength += TAR_BLOCK + p.bytes + tarPaddingLength(p.bytes);
        if (trailer.readUInt32LE(4) !== bodyLength % 2 ** 32) throw new Error('internal error: the archive spool does not hold every packet');
        crc = crc32Combine(crc, trailer.readUInt32LE(0), bodyLength);
        length += bodyLength;
      } else {
        let prevBytes = 0;
        for (const p of this.written) {
          const content = readFileSync(join(this.dir, p.name));
          const piece = deflatePiece([tarPadding(prevBytes), tarHeader(`${this.dirRel}/${p.name}`, p.bytes, false, this.mtime), content]);
          prevBytes = p.bytes;
          put(piece.deflated);
          crc = crc32Combine(crc, piece.crc, piece.length);
          length += piece.length;
        }
        const end = deflatePiece([tarPadding(prevBytes), TAR_END], true);
        put(end.deflated);
        crc = crc32Combine(crc, end.crc, end.length);
        length += end.length;
      }
      put(gzipTrailer(crc, length));
    } finally {
      closeSync(fd);
    }
    return hash.digest('hex');
  }

  /** Passes `n` bytes of the spool from `at` to `put`, 1 MB at a time. */
  private copySpool(put: (b: Buffer) => void, at: number, n: number): void {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let pos = at;
    let left = n;
    while (left > 0) {
      const got = readSync(this.spoolFd, chunk, 0, Math.min(left, chunk.length), pos);
      if (got <= 0) throw new Error('internal error: the archive spool is short');
      put(chunk.subarray(0, got));
      pos += got;
      left -= got;
    }
  }

  private start(): Gzip {
    if (this.gzip) return this.gzip;
    if (!this.dir) throw new Error('internal error: packet written before its folder was set');
    mkdirSync(this.dir, { recursive: true });
    this.spoolFd = openSync(this.spoolFile, 'wx+', 0o600);
    const fd = this.spoolFd;
    const gzip = zlib().createGzip({ level: DEFLATE_LEVEL, chunkSize: 256 * 1024 });
    gzip.on('data', (b: Buffer) => {
      try {
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off, this.spoolAt + off);
        this.spoolAt += b.length;
      } catch (e) {
        this.fail(new Error(`could not write the archive spool: ${(e as Error).message}`));
        gzip.destroy();
      }
    });
    gzip.on('error', (e) => this.fail(new Error(`could not compress the archive: ${e.message}`)));
    this.gzip = gzip;
    return gzip;
  }

  private done(): void {
    this.free.push(this.inFlight.shift() as Buffer);
    this.completed++;
    const w = this.waiter;
    if (w && this.posted - this.completed <= w.below) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  private fail(e: Error): Error {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
    return this.failure;
  }
}

/**
 * Decides, packet by packet, whether packets will be published: while the bundle may still fit
 * under the cap (and packets are not forced), the few packets so far wait in memory — a bundle under
 * the cap is published as one patch and writes no packet files at all; over the cap under --strict
 * they are dropped.
 */
export class PacketGate implements PacketSink {
  private held: [number, Buffer, boolean][] = [];

  constructor(
    private readonly writer: PacketWriter,
    /** 'write' once packets are certain, 'drop' when they never will be, 'hold' while unknown. */
    private readonly state: () => 'write' | 'hold' | 'drop',
  ) {}

  packet(index: number, data: Buffer, last: boolean): void {
    const s = this.state();
    if (s === 'hold') {
      this.held.push([index, data, last]);
      return;
    }
    this.release(s === 'write');
    if (s === 'write') this.writer.packet(index, data);
  }

  /** At the end of the diff: writes what was held back when packets are published, else drops it. */
  release(publish: boolean): void {
    const held = this.held;
    this.held = [];
    if (publish) for (const [i, d] of held) this.writer.packet(i, d);
  }
}
