/**
 * The archive's small pieces (a packet's tar header and the zeros before it) are deflated by our
 * own encoder, not zlib: it must produce raw deflate that zlib reads back byte for byte, and that
 * joins the pieces zlib makes before and after it into one stream.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixedHuffmanPiece, headerPiece, tarHeader, tarPadding } from '../src/bundle/tar.js';

/** A small deterministic PRNG (xorshift32), so a failure names its case. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** `piece` between two zlib pieces (one ended by a sync flush, the last final), inflated. */
function throughStream(piece: Buffer): Buffer {
  const before = deflateRawSync(Buffer.from('before '), { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
  const after = deflateRawSync(Buffer.from(' after'), { level: 1, finishFlush: constants.Z_FINISH });
  return inflateRawSync(Buffer.concat([before, piece, after]));
}

describe('fixedHuffmanPiece', () => {
  it('round-trips runs around every match-length boundary, empty input and all 256 byte values', () => {
    const cases: Buffer[] = [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(1023), Buffer.from(Array.from({ length: 256 }, (_, i) => i))];
    for (const n of [1, 2, 3, 4, 10, 11, 18, 19, 34, 35, 130, 131, 226, 227, 257, 258, 259, 260, 261, 515, 516, 517, 518]) {
      cases.push(Buffer.concat([Buffer.from('x'), Buffer.alloc(n, 0)]), Buffer.concat([Buffer.alloc(n, 0xff), Buffer.from('y')]));
    }
    for (const c of cases) {
      expect(inflateRawSync(Buffer.concat([fixedHuffmanPiece(c), deflateRawSync(Buffer.alloc(0))])).equals(c), `${c.length} bytes`).toBe(true);
      expect(throughStream(fixedHuffmanPiece(c)).toString('latin1')).toBe(`before ${c.toString('latin1')} after`);
    }
  });

  it('round-trips 3,000 random inputs of mostly zeros and other bytes, inside a zlib stream', () => {
    const r = rng(20261202);
    for (let k = 0; k < 3000; k++) {
      const b = Buffer.alloc(Math.floor(r() * 1200));
      const density = r();
      for (let i = 0; i < b.length; i++) if (r() < density) b[i] = Math.floor(r() * 256);
      expect(throughStream(fixedHuffmanPiece(b)).equals(Buffer.concat([Buffer.from('before '), b, Buffer.from(' after')])), `case ${k}`).toBe(true);
    }
  });

  it('makes a header piece as small as zlib nearly, and the same bytes every time', () => {
    const raw = Buffer.concat([tarPadding(102_318), tarHeader('review_packets/20261202T000000Z/packet_0001.txt', 102_318, false, 1_764_633_600)]);
    const piece = headerPiece(102_318, 'review_packets/20261202T000000Z/packet_0001.txt', 102_318, 1_764_633_600);
    expect(inflateRawSync(Buffer.concat([piece.deflated, deflateRawSync(Buffer.alloc(0))])).equals(raw)).toBe(true);
    expect(piece.length).toBe(raw.length);
    const zlibSize = deflateRawSync(raw, { level: 1, finishFlush: constants.Z_SYNC_FLUSH }).length;
    expect(piece.deflated.length).toBeLessThan(zlibSize * 1.25);
    expect(headerPiece(102_318, 'review_packets/20261202T000000Z/packet_0001.txt', 102_318, 1_764_633_600).deflated.equals(piece.deflated)).toBe(true);
  });
});
