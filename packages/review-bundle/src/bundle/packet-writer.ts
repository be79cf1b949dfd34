/**
 * Writes each packet as soon as it is full, while the diff still streams, off the main thread (which
 * only parses and packs): one worker thread takes the packets in order and, for each, writes its
 * file, computes its sha256 and feeds its tar entry (header, then content) to one gzip stream whose
 * output is appended to a spool: the archive's body, compressed by a single compressor (no set-up
 * per packet; zlib computes the CRC-32 as it reads). Packet buffers are shared memory, seen by both
 * threads without copies, and reused once the worker is done with them (the compressor has read
 * them); a window of packets in flight bounds memory to a few caps: the reader waits on `drain()`
 * when the window is full.
 *
 * Packet files are named for up to 999 packets (`packet_001.txt`); a bundle with more is renamed to
 * the wider width at the end, and its archive is then compressed again from the packet files (the
 * streamed one names them with the narrower width).
 */

import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { crypto } from './builtins.js';
import type { PacketSink } from './packets.js';
import { crc32Combine, deflatePiece, type EntryOrder, GZIP_HEADER, gzipTrailer, type Piece, TAR_END, tarHeader, tarPadding } from './tar.js';
import { startPacketWorker, takeEarlyWorker } from './worker-boot.js';

/**
 * Packets in flight at once: as many as fit in WINDOW_BYTES, between 8 and 64. Memory in flight
 * is bounded by the larger of WINDOW_BYTES and 8 caps, whatever the size of the diff; the room
 * lets the reader run ahead while the worker thread is still booting.
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

interface Done {
  index: number;
  bytes: number;
  sha256: string;
}

/** The end of the streamed archive body: its length in the spool. */
interface Ended {
  ended: number;
}

export const packetName = (index: number, width: number) => `packet_${String(index).padStart(width, '0')}.txt`;

export class PacketWriter implements PacketSink {
  readonly written: WrittenPacket[] = [];
  private worker: Worker | undefined;
  private started = false;
  private spoolFd = -1;
  private posted = 0;
  /** Packets the worker is done with (it answers in order). */
  private completed = 0;
  /** The buffers of the packets in flight, in order. */
  private readonly inFlight: SharedArrayBuffer[] = [];
  private failure: Error | undefined;
  private waiter: { below: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Resolves with the spool's length once the worker has ended the archive stream. */
  private ended: ((length: number) => void) | undefined;
  private spoolLength = -1;
  /** Packet buffers the worker is done with, for the next packets. */
  private readonly free: SharedArrayBuffer[] = [];
  private prevBytes = 0;
  /** Packets in flight at once (set from the packet size on the first take()). */
  private window = WINDOW_MIN;

  /** The packet folder (created on the first packet). */
  private dir = '';
  /** The same folder as named inside the archive (`review_packets/<stamp>`). */
  private dirRel = '';
  /** The spool of compressed pieces. */
  private spoolFile = '';

  /** Where the packets go; set before the first packet. */
  target(dir: string, dirRel: string, spoolFile: string): void {
    this.dir = dir;
    this.dirRel = dirRel;
    this.spoolFile = spoolFile;
  }

  /**
   * Starts the worker thread ahead of the first packet (a thread takes some 40 ms to boot, which
   * then overlaps with resolving the range and starting git). Until packets are posted it does not
   * hold the process open, so a run that fails early or needs no packets just ends.
   */
  boot(): void {
    this.worker ??= this.spawn();
    this.worker.unref();
  }

  /** The entries' mtime in the archive (TO's commit time); set before the first packet. */
  mtime = 0;

  /** A packet buffer of `size` bytes (shared memory; one the worker is done with, when there is one). */
  take(size: number): Buffer {
    if (this.posted === 0) this.window = Math.min(WINDOW_MAX, Math.max(WINDOW_MIN, Math.floor(WINDOW_BYTES / size)));
    const b = this.free.pop();
    return Buffer.from(b && b.byteLength === size ? b : new SharedArrayBuffer(size));
  }

  /** Starts writing packet `index`; `data` must be a view of a buffer from take(). */
  packet(index: number, data: Buffer): void {
    if (this.failure) throw this.failure;
    const worker = this.start();
    const name = packetName(index, MIN_WIDTH);
    // The tar header of this packet carries the padding of the previous entry in front of it.
    // A plain Uint8Array of its own: a Buffer (a view of the shared pool) costs ten times as much
    // to post to the worker as the bytes themselves.
    const pad = tarPadding(this.prevBytes);
    const header = new Uint8Array(pad.length + 512);
    header.set(pad, 0);
    header.set(tarHeader(`${this.dirRel}/${name}`, data.length, false, this.mtime), pad.length);
    this.prevBytes = data.length;
    this.posted++;
    this.inFlight.push(data.buffer as SharedArrayBuffer);
    worker.postMessage({ index, file: join(this.dir, name), header, buffer: data.buffer, offset: data.byteOffset, length: data.length });
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
    if (this.started && this.worker) {
      // The end of the tar archive closes the stream.
      const tail = Buffer.concat([tarPadding(this.prevBytes), TAR_END]);
      const worker = this.worker;
      this.spoolLength = await new Promise<number>((resolve, reject) => {
        this.ended = resolve;
        this.waiter = { below: Number.POSITIVE_INFINITY, resolve: () => {}, reject };
        worker.postMessage({ end: new Uint8Array(tail) });
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

  /** Stops the worker (nothing is written after this). */
  async settle(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
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
      let prevBytes = 0;
      const entries = this.written.map((p) => {
        const name = `${this.dirRel}/${p.name}`;
        order.next(name);
        const entry = { name, pad: tarPadding(prevBytes), header: tarHeader(name, p.bytes, false, this.mtime), bytes: p.bytes };
        prevBytes = p.bytes;
        return entry;
      });
      if (this.spoolLength >= 0 && width === MIN_WIDTH) {
        // The spool is one gzip member: its deflate body goes in as it is; its trailer has the
        // CRC-32 of what went in, and the length is counted here (the trailer's is modulo 2^32).
        const trailer = Buffer.alloc(8);
        if (this.spoolLength < GZIP_HEADER.length + trailer.length || readSync(this.spoolFd, trailer, 0, 8, this.spoolLength - 8) !== 8) {
          throw new Error('internal error: the archive spool is short');
        }
        this.copySpool(put, GZIP_HEADER.length, this.spoolLength - GZIP_HEADER.length - trailer.length);
        let bodyLength = TAR_END.length + tarPadding(prevBytes).length;
        for (const e of entries) bodyLength += e.pad.length + e.header.length + e.bytes;
        if (trailer.readUInt32LE(4) !== bodyLength % 2 ** 32) throw new Error('internal error: the archive spool does not hold every packet');
        crc = crc32Combine(crc, trailer.readUInt32LE(0), bodyLength);
        length += bodyLength;
      } else {
        for (const e of entries) {
          const content = readFileSync(join(this.dir, e.name.slice(this.dirRel.length + 1)));
          const piece = deflatePiece([e.pad, e.header, content]);
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

  private start(): Worker {
    if (this.started && this.worker) return this.worker;
    if (!this.dir) throw new Error('internal error: packet written before its folder was set');
    mkdirSync(this.dir, { recursive: true });
    this.spoolFd = openSync(this.spoolFile, 'wx+', 0o600);
    const worker = this.worker ?? this.spawn();
    this.worker = worker;
    worker.ref();
    worker.postMessage({ spoolFd: this.spoolFd });
    this.started = true;
    return worker;
  }

  private spawn(): Worker {
    // One booted while the CLI loaded (see early.ts), else a new one.
    const worker = takeEarlyWorker() ?? startPacketWorker();
    worker.on('message', (m: Done | Ended | { index: number; error: string }) => {
      if ('error' in m) this.fail(new Error(m.error));
      else if ('ended' in m) this.ended?.(m.ended);
      else this.done(m);
    });
    worker.on('error', (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fail(new Error(`the packet writer stopped (exit ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private done(m: Done): void {
    if (m.index !== this.written.length + 1) {
      this.fail(new Error(`internal error: packet ${m.index} came back out of order`));
      return;
    }
    this.written.push({ name: packetName(m.index, MIN_WIDTH), bytes: m.bytes, sha256: m.sha256 });
    this.free.push(this.inFlight.shift() as SharedArrayBuffer);
    this.completed++;
    const w = this.waiter;
    if (w && this.posted - this.completed <= w.below) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
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
