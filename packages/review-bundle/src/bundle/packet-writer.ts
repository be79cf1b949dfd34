/**
 * Writes each packet as soon as it is full, while the diff still streams: its file, its sha256 and
 * its compressed piece of the archive are produced on libuv's thread pool, so the main thread only
 * parses and packs. A window of packets in flight bounds memory (a few packets, each at most the
 * cap); the reader waits on `backpressure()` when the window is full. Results are taken in packet
 * order, so the archive's pieces are spooled in order and the output is deterministic.
 *
 * Packet files are named for up to 999 packets (`packet_001.txt`); a bundle with more is renamed to
 * the wider width at the end and its tar headers are rebuilt (the packets' pieces are reused).
 */
import { createHash, webcrypto } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import type { PacketSink } from './packets.js';
import { crc32Combine, deflatePiece, type EntryOrder, GZIP_HEADER, gzipTrailer, type Piece, pieceOptions, TAR_END, tarHeader, tarPadding } from './tar.js';

const deflateRawAsync = promisify(deflateRaw);
/** Packets written at once; memory in flight is about this many caps. */
const WINDOW = 6;
const MIN_WIDTH = 3;

export interface WrittenPacket {
  name: string;
  bytes: number;
  sha256: string;
}

interface Job {
  index: number;
  bytes: number;
  crc: number;
  done: Promise<[unknown, ArrayBuffer, Buffer]>;
}

/** Where a packet's pieces lie in the spool: its tar header piece, then its content piece. */
interface Spooled {
  header: { at: number; length: number };
  content: { at: number; length: number; crc: number; raw: number };
}

export const packetName = (index: number, width: number) => `packet_${String(index).padStart(width, '0')}.txt`;

export class PacketWriter implements PacketSink {
  readonly written: WrittenPacket[] = [];
  private readonly jobs: Job[] = [];
  private readonly spooled: Spooled[] = [];
  private spoolFd = -1;
  private spoolBytes = 0;
  private dirMade = false;
  private readonly all: Promise<unknown>[] = [];

  constructor(
    /** The packet folder (created on the first packet). */
    private readonly dir: string,
    /** The same folder as named inside the archive (`review_packets/<stamp>`). */
    private readonly dirRel: string,
    /** The spool of compressed pieces. */
    private readonly spoolFile: string,
    private readonly mtime: number,
  ) {}

  packet(index: number, data: Buffer, _last: boolean): void {
    if (!this.dirMade) {
      mkdirSync(this.dir, { recursive: true });
      this.spoolFd = openSync(this.spoolFile, 'wx+', 0o600);
      this.dirMade = true;
    }
    const done = Promise.all([
      writeFile(join(this.dir, packetName(index, MIN_WIDTH)), data, { flag: 'wx', mode: 0o644 }),
      webcrypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>),
      deflateRawAsync(data, pieceOptions(false)),
    ]);
    // Failures are taken in order by drain(); this only keeps an early one from going unhandled.
    this.all.push(done.catch(() => {}));
    this.jobs.push({ index, bytes: data.length, crc: crc32(data), done });
  }

  /** True when the reader should wait for `drain()` before reading on. */
  get full(): boolean {
    return this.jobs.length > WINDOW;
  }

  /** Takes finished packets in order until at most `keep` are in flight. */
  async drain(keep = WINDOW): Promise<void> {
    while (this.jobs.length > keep) {
      const job = this.jobs[0] as Job;
      const [, digest, deflated] = await job.done;
      this.jobs.shift();
      // The tar header of this packet carries the padding of the previous entry in front of it.
      const prev = this.written.at(-1);
      const header = deflatePiece([
        tarPadding(prev?.bytes ?? 0),
        tarHeader(`${this.dirRel}/${packetName(job.index, MIN_WIDTH)}`, job.bytes, false, this.mtime),
      ]);
      const h = this.spool(header.deflated);
      const c = this.spool(deflated);
      this.spooled.push({ header: h, content: { ...c, crc: job.crc, raw: job.bytes } });
      this.written.push({ name: packetName(job.index, MIN_WIDTH), bytes: job.bytes, sha256: Buffer.from(digest).toString('hex') });
    }
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

  /** Waits for whatever is still in flight (before the staging directory is removed). */
  async settle(): Promise<void> {
    await Promise.all(this.all);
    this.closeSpool();
  }

  /**
   * Writes the archive: `head` (README and HOW_TO_PASTE.txt entries, already a piece), then every
   * packet with its tar header, then the end of the archive. Returns its sha256 — computed while
   * writing, from the bytes written.
   */
  writeArchive(out: string, head: Piece, order: EntryOrder): string {
    const hash = createHash('sha256');
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
        crc = crc32Combine(crc, s.content.crc, s.content.raw);
        length += s.content.raw;
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

  private spool(b: Buffer): { at: number; length: number } {
    const at = this.spoolBytes;
    let off = 0;
    while (off < b.length) off += writeSync(this.spoolFd, b, off, b.length - off, at + off);
    this.spoolBytes += b.length;
    return { at, length: b.length };
  }

  private closeSpool(): void {
    if (this.spoolFd !== -1) closeSync(this.spoolFd);
    this.spoolFd = -1;
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
    if (s === 'write') this.writer.packet(index, data, last);
  }

  /** At the end of the diff: writes what was held back when packets are published, else drops it. */
  release(publish: boolean): void {
    const held = this.held;
    this.held = [];
    if (publish) for (const [i, d, last] of held) this.writer.packet(i, d, last);
  }
}
