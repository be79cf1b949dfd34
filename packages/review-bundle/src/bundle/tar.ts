/**
 * A deterministic .tar.gz assembled from pieces compressed independently: ustar entries in the order
 * given (the caller sorts them and the writer checks it), owner 0:0 with empty user/group names,
 * fixed modes, one fixed mtime, gzip without a timestamp or file name. Same entries and bytes → the
 * same archive, byte for byte.
 *
 * Each piece is raw deflate from a fresh compressor ended with a sync flush, from one that a full
 * flush ends and resets, or from fixedHuffmanPiece (a packet's tar header): every way byte-aligned,
 * not final, no reference to earlier data, so pieces concatenate into one valid deflate stream
 * (what pigz does). That lets each packet be compressed on the thread pool as soon as it is full,
 * while the entries that must come first in the archive (README, HOW_TO_PASTE.txt) are compressed
 * last.
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
 * these. Encoded here (fixedHuffmanPiece), not by zlib: a zlib call per packet cost the main thread
 * some 60 µs, about 40 ms on a 50 MB diff.
 */
export function headerPiece(prevSize: number, name: string, size: number, mtime: number): Piece {
  const raw = Buffer.concat([tarPadding(prevSize), tarHeader(name, size, false, mtime)]);
  return { deflated: fixedHuffmanPiece(raw), crc: zlib().crc32(raw), length: raw.length };
}

// Deflate's fixed Huffman code (RFC 1951, 3.2.6): length symbols 257-285, their base lengths and
// extra bits.
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const MAX_MATCH = 258;

/**
 * `raw` as raw deflate: one block of the fixed Huffman code, then an empty stored block (what a
 * sync flush ends with), so the piece ends byte-aligned, is not final and refers to nothing before
 * it — it concatenates with the others. Made for short inputs that are mostly runs of one byte (a
 * tar header and the zeros around it): bytes are literals, and a run of a byte is a match at
 * distance 1. Deterministic; small inputs only (the output is built in one buffer).
 */
export function fixedHuffmanPiece(raw: Buffer): Buffer {
  // At most 9 bits a byte, plus the block header, the end code and the stored block.
  const out = Buffer.alloc(Math.ceil((raw.length * 9 + 3 + 7) / 8) + 6);
  let at = 0;
  let bits = 0;
  let count = 0;
  /** `n` bits of `value`, least significant first (how deflate packs everything but codes). */
  const put = (value: number, n: number) => {
    bits |= value << count;
    count += n;
    while (count >= 8) {
      out[at++] = bits & 0xff;
      bits >>>= 8;
      count -= 8;
    }
  };
  /** A Huffman code: its bits most significant first. */
  const code = (value: number, n: number) => {
    let reversed = 0;
    for (let i = 0; i < n; i++) reversed |= ((value >> i) & 1) << (n - 1 - i);
    put(reversed, n);
  };
  const symbol = (s: number) => {
    if (s < 144) code(0x30 + s, 8);
    else if (s < 256) code(0x190 + s - 144, 9);
    else if (s < 280) code(s - 256, 7);
    else code(0xc0 + s - 280, 8);
  };
  put(0, 1); // not the final block
  put(1, 2); // fixed Huffman codes
  let i = 0;
  while (i < raw.length) {
    let run = 0;
    if (i > 0) while (i + run < raw.length && run < MAX_MATCH && raw[i + run] === raw[i - 1]) run++;
    if (run < 3) {
      symbol(raw[i] as number);
      i++;
      continue;
    }
    let k = LENGTH_BASE.length - 1;
    while ((LENGTH_BASE[k] as number) > run) k--;
    symbol(257 + k);
    put(run - (LENGTH_BASE[k] as number), LENGTH_EXTRA[k] as number);
    code(0, 5); // distance 1
    i += run;
  }
  symbol(256); // end of block
  put(0, 3); // an empty stored block, not final: its header, byte alignment, LEN 0, NLEN 0xffff
  if (count > 0) put(0, 8 - count);
  out[at++] = 0x00;
  out[at++] = 0x00;
  out[at++] = 0xff;
  out[at++] = 0xff;
  return out.subarray(0, at);
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
