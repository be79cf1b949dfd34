/**
 * Writes each packet as soon as it is full, while the diff still streams: its file and its sha256
 * at once, and its tar entry as two pieces — the previous entry's padding and its header,
 * compressed here (small, see headerPiece), then its bytes, compressed on libuv's thread pool.
 * COMPRESSORS compressors take the packets in turn, each ending every piece with a full flush,
 * which makes the piece independent of what that compressor read before (see tar.ts: such pieces
 * concatenate into one deflate stream). So several pieces compress at once and none waits for this
 * thread to come back to the event loop between packets (through one compressor the pool sat idle
 * whenever this thread was busy); the pieces are appended to the archive's spool in packet order as
 * they finish. The compressors live for the whole run: a fresh one per packet cost some 0.4 ms of
 * this thread's time to set up and start. No thread of our own: on 2 cores a worker thread cost
 * more CPU than it took off the main thread (measured twice; docs/architecture.md). A packet's
 * buffer is reused once its piece is compressed; a window of packets in flight bounds memory to a
 * few caps: the reader waits on `drain()` when the window is full.
 *
 * Packet files are named for up to 999 packets (`packet_001.txt`); a bundle with more is renamed to
 * the wider width at the end. Its archive then takes new header pieces (the streamed ones name the
 * packets with the narrower width) and the packets' compressed bytes as they are in the spool: a
 * packet's piece holds no name, so nothing large is compressed twice.
 */

import { closeSync, mkdirSync, openSync, readSync, renameSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { DeflateRaw, ZlibOptions } from 'node:zlib';
import { crypto, zlib } from './builtins.js';
import type { PacketSink } from './packets.js';
import { crc32Combine, DEFLATE_LEVEL, deflatePiece, type EntryOrder, GZIP_HEADER, gzipTrailer, headerPiece, type Piece, TAR_END, tarPadding } from './tar.js';

/**
 * Packets in flight at once: as many as fit in WINDOW_BYTES, between 8 and 64. Memory in flight
 * is bounded by the larger of WINDOW_BYTES and 8 caps, whatever the size of the diff.
 */
const WINDOW_BYTES = 4 * 1024 * 1024;
const WINDOW_MIN = 8;
const WINDOW_MAX = 64;
/** Compressors (libuv's pool has 4 threads; each compressor holds some 300 KB). */
const COMPRESSORS = 4;
const MIN_WIDTH = 3;

export interface WrittenPacket {
  name: string;
  bytes: number;
  sha256: string;
}

export const packetName = (index: number, width: number) => `packet_${String(index).padStart(width, '0')}.txt`;

interface Job {
  index: number;
  /** The packet's tar header (and the padding before it), compressed. */
  header: Piece;
  /** The packet (its buffer from take()). */
  input: Buffer;
  started: boolean;
  deflated?: Buffer;
}

/** Where a packet's compressed bytes are in the spool, and their CRC-32 and length uncompressed. */
interface SpooledPiece {
  at: number;
  bytes: number;
  crc: number;
  length: number;
}

export class PacketWriter implements PacketSink {
  readonly written: WrittenPacket[] = [];
  private spoolFd = -1;
  /** Bytes of the spool written so far. */
  private spoolAt = 0;
  private posted = 0;
  /** Packets whose piece is in the spool (they go in in order). */
  private completed = 0;
  /** The packets in flight, in order: compressing, waiting to, or compressed ahead of an earlier one. */
  private readonly inFlight: Job[] = [];
  /** Packet i goes to compressors[(i - 1) % COMPRESSORS], one piece at a time. */
  private readonly compressors: DeflateRaw[] = [];
  private readonly busy: boolean[] = [];
  private failure: Error | undefined;
  private waiter: { below: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  /** CRC-32 and length of the uncompressed bytes of the pieces in the spool. */
  private bodyCrc = 0;
  private bodyLength = 0;
  private ended = false;
  /** Packets' pieces in the spool, in order. */
  private readonly pieces: SpooledPiece[] = [];
  /** Packet buffers done with, for the next packets. */
  private readonly free: ArrayBufferLike[] = [];
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
    return Buffer.from(b && b.byteLength === size ? b : Buffer.allocUnsafeSlow(size).buffer, 0, size);
  }

  /** Starts writing packet `index`; `data` must be a view of a buffer from take(). */
  packet(index: number, data: Buffer): void {
    if (this.failure) throw this.failure;
    if (index !== this.posted + 1) throw new Error(`internal error: packet ${index} came out of order`);
    this.start();
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
    const header = headerPiece(this.prevBytes, `${this.dirRel}/${name}`, data.length, this.mtime);
    this.prevBytes = data.length;
    this.inFlight.push({ index, header, input: data, started: false });
    this.startPieces();
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
    if (this.spoolFd !== -1) {
      // The end of the tar archive ends the deflate stream.
      this.append(deflatePiece([tarPadding(this.prevBytes), TAR_END], true));
      this.ended = true;
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

  /** Stops the compressors and closes the spool (nothing is written after this). */
  async settle(): Promise<void> {
    this.failure ??= new Error('the packet writer was closed');
    for (const c of this.compressors) c.destroy();
    if (this.spoolFd !== -1) closeSync(this.spoolFd);
    this.spoolFd = -1;
  }

  /**
   * Writes the archive: `head` (README and HOW_TO_PASTE.txt entries, already a piece), then every
   * packet with its tar header and the end of the archive — the streamed pieces from the spool, or,
   * with over 999 packets (their names changed), new header pieces between the packets' pieces
   * from the spool. Returns its sha256, computed while writing, from the bytes written.
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
      if (this.ended && width === MIN_WIDTH) {
        this.copySpool(put, 0, this.spoolAt);
        crc = crc32Combine(crc, this.bodyCrc, this.bodyLength);
        length += this.bodyLength;
      } else {
        if (this.pieces.length !== this.written.length) throw new Error('internal error: the archive spool does not hold every packet');
        let prevBytes = 0;
        for (const [k, p] of this.written.entries()) {
          const header = headerPiece(prevBytes, `${this.dirRel}/${p.name}`, p.bytes, this.mtime);
          prevBytes = p.bytes;
          put(header.deflated);
          crc = crc32Combine(crc, header.crc, header.length);
          length += header.length;
          const piece = this.pieces[k] as SpooledPiece;
          this.copySpool(put, piece.at, piece.bytes);
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

  /** Passes `n` bytes of the spool from `from` on to `put`, up to 1 MB at a time. */
  private copySpool(put: (b: Buffer) => void, from: number, n: number): void {
    this.copyBuffer ??= Buffer.allocUnsafe(1024 * 1024);
    const chunk = this.copyBuffer;
    let done = 0;
    while (done < n) {
      const got = readSync(this.spoolFd, chunk, 0, Math.min(n - done, chunk.length), from + done);
      if (got <= 0) throw new Error('internal error: the archive spool is short');
      put(chunk.subarray(0, got));
      done += got;
    }
  }

  private copyBuffer: Buffer | undefined;

  private start(): void {
    if (this.spoolFd !== -1) return;
    if (!this.dir) throw new Error('internal error: packet written before its folder was set');
    mkdirSync(this.dir, { recursive: true });
    this.spoolFd = openSync(this.spoolFile, 'wx+', 0o600);
  }

  /** Starts each waiting piece whose compressor is free. */
  private startPieces(): void {
    for (const job of this.inFlight) {
      if (job.started) continue;
      const k = (job.index - 1) % COMPRESSORS;
      if (this.busy[k]) continue;
      job.started = true;
      this.busy[k] = true;
      const compressor = this.compressor(k);
      compressor.write(job.input, (e) => {
        this.busy[k] = false;
        if (this.failure) return;
        if (e) {
          this.fail(new Error(`could not compress packet ${job.index}: ${e.message}`));
          return;
        }
        // Paused (never a 'data' listener): everything the piece came to is buffered before the
        // write's callback, and nothing else (this compressor's next piece is not written yet).
        job.deflated = compressor.read() ?? Buffer.alloc(0);
        this.startPieces();
        this.collect();
      });
    }
  }

  private compressor(k: number): DeflateRaw {
    let c = this.compressors[k];
    if (!c) {
      const { constants, createDeflateRaw } = zlib();
      // No limit on what it holds unread: past the limit it would wait to be read before it went
      // on, and it is read only once its piece is done (a piece bigger than a chunk needs room).
      const options: ZlibOptions & { readableHighWaterMark: number } = {
        level: DEFLATE_LEVEL,
        flush: constants.Z_FULL_FLUSH,
        chunkSize: 128 * 1024,
        readableHighWaterMark: Number.MAX_SAFE_INTEGER,
      };
      c = createDeflateRaw(options);
      c.on('error', (e) => this.fail(new Error(`could not compress the archive: ${e.message}`)));
      this.compressors[k] = c;
    }
    return c;
  }

  /** Appends the compressed pieces at the front of the window to the spool, in order. */
  private collect(): void {
    while (this.inFlight.length && this.inFlight[0]?.deflated) {
      const job = this.inFlight.shift() as Job;
      try {
        const piece = { deflated: job.deflated as Buffer, crc: zlib().crc32(job.input), length: job.input.length };
        const at = this.spoolAt + job.header.deflated.length;
        this.append(job.header, piece);
        this.pieces.push({ at, bytes: piece.deflated.length, crc: piece.crc, length: piece.length });
      } catch (e) {
        this.fail(new Error(`could not write the archive spool: ${(e as Error).message}`));
        return;
      }
      this.free.push(job.input.buffer);
      this.completed++;
    }
    const w = this.waiter;
    if (w && this.posted - this.completed <= w.below) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  /** Appends pieces to the spool, in one write. */
  private append(...pieces: Piece[]): void {
    const parts = pieces.map((p) => p.deflated);
    let total = 0;
    for (const b of parts) total += b.length;
    let done = 0;
    while (done < total) {
      // After a short write, what is left: the rest of the part it stopped in, and those after.
      let skip = done;
      let k = 0;
      while (skip >= (parts[k] as Buffer).length) skip -= (parts[k++] as Buffer).length;
      const rest = [(parts[k] as Buffer).subarray(skip), ...parts.slice(k + 1)];
      done += writevSync(this.spoolFd, rest, this.spoolAt + done);
    }
    this.spoolAt += total;
    for (const p of pieces) {
      this.bodyCrc = crc32Combine(this.bodyCrc, p.crc, p.length);
      this.bodyLength += p.length;
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
