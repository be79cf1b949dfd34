/**
 * Writes each packet as soon as it is full, while the diff still streams, off the main thread (which
 * only parses and packs): one worker thread takes the packets in order and, for each, writes its
 * file, computes its sha256 and CRC-32 and compresses it into its own piece of the archive (see
 * tar.ts), appended to a spool. Packet buffers are shared memory, seen by both threads without
 * copies, and reused once the worker is done with them; a window of packets in flight bounds memory
 * to a few caps: the reader waits on `drain()` when the window is full.
 *
 * Packet files are named for up to 999 packets (`packet_001.txt`); a bundle with more is renamed to
 * the wider width at the end and its tar headers are rebuilt (the packets' pieces are reused).
 */

import { closeSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { crypto, zlib } from './builtins.js';
import type { PacketSink } from './packets.js';
import { crc32Combine, DEFLATE_LEVEL, deflatePiece, type EntryOrder, GZIP_HEADER, gzipTrailer, type Piece, TAR_END, tarHeader, tarPadding } from './tar.js';

/** Packets in flight at once; memory in flight is about this many caps. */
const WINDOW = 8;
const MIN_WIDTH = 3;

export interface WrittenPacket {
  name: string;
  bytes: number;
  sha256: string;
}

/** Where a packet's pieces lie in the spool: its tar header (with the padding before it), then its content. */
interface Spooled {
  header: { at: number; length: number };
  content: { at: number; length: number; crc: number };
}

interface Done extends Spooled {
  index: number;
  bytes: number;
  sha256: string;
}

/**
 * The worker, as source text so it runs unchanged from the TypeScript sources (tests) and from the
 * bundled CLI. It handles one message per packet, in order: file, digest, CRC, deflate, spool. The
 * file is written here too, so the main thread has no callbacks to run per packet.
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, writeSync } = require('node:fs');
const { hash } = require('node:crypto');
const { constants, crc32, deflateRawSync } = require('node:zlib');
const { level } = workerData;
let spoolFd = -1;
const options = { level, finishFlush: constants.Z_SYNC_FLUSH };
let at = 0;
function writeAll(fd, b, pos) {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off, pos === null ? null : pos + off);
}
function spool(b) {
  writeAll(spoolFd, b, at);
  const r = { at, length: b.length };
  at += b.length;
  return r;
}
parentPort.on('message', (m) => {
  if (m.spoolFd !== undefined) {
    spoolFd = m.spoolFd;
    return;
  }
  const data = Buffer.from(m.buffer, m.offset, m.length);
  try {
    const fd = openSync(m.file, 'wx', 0o644);
    try {
      writeAll(fd, data, null);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    parentPort.postMessage({ index: m.index, error: 'could not write packet ' + m.index + ': ' + String((e && e.message) || e) });
    return;
  }
  try {
    const header = spool(deflateRawSync(m.header, options));
    const content = { ...spool(deflateRawSync(data, options)), crc: crc32(data) };
    parentPort.postMessage({ index: m.index, bytes: m.length, sha256: hash('sha256', data, 'hex'), header, content });
  } catch (e) {
    parentPort.postMessage({ index: m.index, error: 'could not compress packet ' + m.index + ': ' + String((e && e.message) || e) });
  }
});
`;

export const packetName = (index: number, width: number) => `packet_${String(index).padStart(width, '0')}.txt`;

export class PacketWriter implements PacketSink {
  readonly written: WrittenPacket[] = [];
  private readonly spooled: Spooled[] = [];
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
  /** Packet buffers the worker is done with, for the next packets. */
  private readonly free: SharedArrayBuffer[] = [];
  private prevBytes = 0;

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
    return this.posted - this.completed > WINDOW;
  }

  /** Waits until at most `keep` packets are in flight. */
  drain(keep = WINDOW): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.posted - this.completed <= keep) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiter = { below: keep, resolve, reject };
    });
  }

  /** Waits for every packet; returns them, renamed to the final width when there are over 999. */
  async finish(): Promise<WrittenPacket[]> {
    await this.drain(0);
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
   * packet with its tar header, then the end of the archive. Returns its sha256 — computed while
   * writing, from the bytes written.
   */
  writeArchive(out: string, head: Piece, order: EntryOrder): string {
    const hash = crypto().createHash('sha256');
    const { crc32 } = zlib();
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
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const copy = (at: number, n: number) => {
        let pos = at;
        let left = n;
        while (left > 0) {
          const got = readSync(this.spoolFd, chunk, 0, Math.min(left, chunk.length), pos);
          if (got <= 0) throw new Error('internal error: the archive spool is short');
          put(chunk.subarray(0, got));
          pos += got;
          left -= got;
        }
      };
      let prevBytes = 0;
      for (const [k, s] of this.spooled.entries()) {
        const p = this.written[k] as WrittenPacket;
        const name = `${this.dirRel}/${p.name}`;
        order.next(name);
        const pad = tarPadding(prevBytes);
        const header = tarHeader(name, p.bytes, false, this.mtime);
        if (width === MIN_WIDTH) copy(s.header.at, s.header.length);
        else put(deflatePiece([pad, header]).deflated);
        crc = crc32Combine(crc, crc32(header, crc32(pad)), pad.length + header.length);
        length += pad.length + header.length;
        copy(s.content.at, s.content.length);
        crc = crc32Combine(crc, s.content.crc, p.bytes);
        length += p.bytes;
        prevBytes = p.bytes;
      }
      const end = deflatePiece([tarPadding(prevBytes), TAR_END], true);
      put(end.deflated);
      crc = crc32Combine(crc, end.crc, end.length);
      length += end.length;
      put(gzipTrailer(crc, length));
    } finally {
      closeSync(fd);
    }
    return hash.digest('hex');
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
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { level: DEFLATE_LEVEL } });
    worker.on('message', (m: Done | { index: number; error: string }) => {
      if ('error' in m) this.fail(new Error(m.error));
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
    this.spooled.push({ header: m.header, content: m.content });
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
