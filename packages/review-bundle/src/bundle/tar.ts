/**
 * A deterministic .tar.gz: ustar entries in the order given (the caller sorts them), owner 0:0 with
 * empty user/group names, fixed modes and one fixed mtime, gzip without a timestamp or file name.
 * Same entries and bytes → the same archive, byte for byte. File contents stream from disk.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive; directories end with '/'. */
  name: string;
  /** File on disk to copy (files only). */
  file?: string;
  size?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, dir: boolean, mtime: number): Buffer {
  const h = Buffer.alloc(512);
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
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

async function* tarStream(entries: TarEntry[], mtime: number): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const dir = e.name.endsWith('/');
    const size = dir ? 0 : (e.size ?? 0);
    yield header(e.name, size, dir, mtime);
    if (dir || !e.file) continue;
    let seen = 0;
    for await (const chunk of createReadStream(e.file, { highWaterMark: 256 * 1024 })) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (seen !== size) throw new Error(`tar: ${e.file} changed size while archiving`);
    if (size % 512) yield Buffer.alloc(512 - (size % 512));
  }
  yield Buffer.alloc(1024);
}

export async function writeTarGz(entries: TarEntry[], out: string, mtime: number): Promise<void> {
  await pipeline(
    Readable.from(tarStream(entries, mtime)),
    createGzip({ level: 6, strategy: constants.Z_DEFAULT_STRATEGY }),
    createWriteStream(out, { flags: 'wx', mode: 0o644 }),
  );
}
