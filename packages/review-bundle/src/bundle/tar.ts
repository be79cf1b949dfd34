/**
 * A deterministic .tar.gz assembled from pieces compressed independently: ustar entries in the order
 * given (the caller sorts them and the writer checks it), owner 0:0 with empty user/group names,
 * fixed modes, one fixed mtime, gzip without a timestamp or file name. Same entries and bytes → the
 * same archive, byte for byte.
 *
 * Each piece is raw deflate from a fresh compressor ended with a sync flush, or from one that a
 * full flush ends and resets (either way byte-aligned, not final, no reference to earlier data), so
 * pieces concatenate into one valid deflate stream (what pigz does). That lets each packet be
 * compressed on the thread pool as soon as it is full, while the entries that must come first in
 * the archive (README, HOW_TO_PASTE.txt) are compressed last.
 * The gzip trailer's CRC-32 is combined from the pieces' CRCs.
 */
import { zlib } from './builtins.js';

/** Level 1: diffs compress well even so, and the archive must not dominate the run's time. */
export const DEFLATE_LEVEL = 1;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** The size of a tar block, and of every entry's header. */
export const TAR_BLOCK = 512;

export function tarHeader(name: string, size: number, dir: boolean, mtime: number): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: name too long: ${name}`);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(dir ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.fill(0x20, 148, 156);
  h.write(dir ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i] as number;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** How many zero bytes round an entry of `size` bytes up to a 512-byte block. */
export function tarPaddingLength(size: number): number {
  return size % TAR_BLOCK ? TAR_BLOCK - (size % TAR_BLOCK) : 0;
}

/** The zero bytes that round an entry of `size` bytes up to a 512-byte block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc(tarPaddingLength(size));
}

/** The end of a tar archive: two zero blocks. */
export const TAR_END = Buffer.alloc(1024);

/** Options of a piece: raw deflate, ended by a sync flush unless it is the final piece. */
export function pieceOptions(final: boolean) {
  const { constants } = zlib();
  return { level: DEFLATE_LEVEL, finishFlush: final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH };
}

/** One uncompressed part of the stream as the archive records it. */
export interface Piece {
  /** Compressed bytes. */
  deflated: Buffer;
  /** CRC-32 and length of the uncompressed bytes. */
  crc: number;
  length: number;
}

/** Compresses `parts` (in order) as one piece, on this thread. */
export function deflatePiece(parts: Buffer[], final = false): Piece {
  const raw = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  const { crc32, deflateRawSync } = zlib();
  return { deflated: deflateRawSync(raw, pieceOptions(final)), crc: crc32(raw), length: raw.length };
}

/**
 * A packet's tar header (after the padding of the entry before it) as a piece of its own, so the
 * packet's bytes are a piece that does not hold its name: renaming packets then recompresses only
 * these. A small compressor (its state costs less to set up than the default's; a header and at
 * most 511 zero bytes need no more).
 */
export function headerPiece(prevSize: number, name: string, size: number, mtime: number): Piece {
  const raw = Buffer.concat([tarPadding(prevSize), tarHeader(name, size, false, mtime)]);
  const { constants, crc32, deflateRawSync } = zlib();
  const deflated = deflateRawSync(raw, { level: DEFLATE_LEVEL, memLevel: 2, windowBits: 10, finishFlush: constants.Z_SYNC_FLUSH });
  return { deflated, crc: crc32(raw), length: raw.length };
}

// CRC-32 combination (zlib's crc32_combine): the CRC of A‖B from CRC(A), CRC(B) and |B|, by
// multiplying in GF(2) modulo the CRC polynomial.
const POLY = 0xedb88320;

function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let x = b >>> 0;
  for (;;) {
    if ((a & m) >>> 0) {
      p ^= x;
      if (((a >>> 0) & (m - 1)) === 0) break;
    }
    m >>>= 1;
    x = x & 1 ? (x >>> 1) ^ POLY : x >>> 1;
  }
  return p >>> 0;
}

const X2N: number[] = [];
{
  let p = 0x40000000; // x^1
  X2N.push(p);
  for (let n = 1; n < 32; n++) {
    p = multModP(p, p);
    X2N.push(p);
  }
}

/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  let left = n;
  let j = k;
  while (left > 0) {
    if (left % 2) p = multModP(X2N[j & 31] as number, p);
    left = Math.floor(left / 2);
    j++;
  }
  return p;
}

export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA) ^ crcB) >>> 0;
}

/** gzip member header: deflate, no name, no timestamp, "fastest" flag, Unix. */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);

export function gzipTrailer(crc: number, length: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc >>> 0, 0);
  t.writeUInt32LE(length % 2 ** 32, 4);
  return t;
}

/** Checks that tar entry names come in strictly increasing byte order. */
export class EntryOrder {
  private last: Buffer | undefined;

  next(name: string): void {
    const b = Buffer.from(name);
    if (this.last && Buffer.compare(this.last, b) >= 0) throw new Error(`tar: ${name} is out of order after ${this.last.toString()}`);
    this.last = b;
  }
}
