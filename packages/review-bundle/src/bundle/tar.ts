/**
 * A deterministic .tar.gz, written as a stream: ustar entries in the order given (the caller sorts
 * them and the writer checks it), owner 0:0 with empty user/group names, fixed modes, one fixed
 * mtime, gzip without a timestamp or file name. Same entries and bytes → the same archive, byte
 * for byte. Compression runs on libuv's thread pool while the caller produces the next entry.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

export function tarHeader(name: string, size: number, dir: boolean, mtime: number): Buffer {
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

export class TarGzWriter {
  private readonly gzip: Gzip;
  private readonly done: Promise<void>;
  private last = '';
  private open: { name: string; left: number; size: number } | undefined;

  constructor(
    out: string,
    private readonly mtime: number,
  ) {
    // Level 1: diffs compress well even so, and the archive must not dominate the run's time. An
    // 8 MB buffer lets the packets be written while the thread pool compresses the ones before.
    // zlib streams take Transform options too; @types/node's ZlibOptions does not list them.
    this.gzip = createGzip({ level: 1, ...({ writableHighWaterMark: 8 * 1024 * 1024 } as ZlibOptions) });
    this.done = pipeline(this.gzip, createWriteStream(out, { flags: 'wx', mode: 0o644 }));
    this.done.catch(() => {});
  }

  async dir(name: string): Promise<void> {
    this.order(name);
    await this.push(tarHeader(name, 0, true, this.mtime));
  }

  async begin(name: string, size: number): Promise<void> {
    this.order(name);
    this.open = { name, left: size, size };
    await this.push(tarHeader(name, size, false, this.mtime));
  }

  async data(chunk: Buffer): Promise<void> {
    const f = this.open;
    if (!f || chunk.length > f.left) throw new Error(`tar: more data than announced for ${f?.name}`);
    f.left -= chunk.length;
    await this.push(chunk);
  }

  async end(): Promise<void> {
    const f = this.open;
    if (f?.left !== 0) throw new Error(`tar: ${f?.name} is ${f?.left} bytes short`);
    if (f.size % 512) await this.push(Buffer.alloc(512 - (f.size % 512)));
    this.open = undefined;
  }

  async file(name: string, content: Buffer): Promise<void> {
    await this.begin(name, content.length);
    await this.data(content);
    await this.end();
  }

  async close(): Promise<void> {
    await this.push(Buffer.alloc(1024));
    this.gzip.end();
    await this.done;
  }

  private order(name: string): void {
    if (Buffer.compare(Buffer.from(this.last), Buffer.from(name)) >= 0 && this.last !== '') throw new Error(`tar: ${name} is out of order after ${this.last}`);
    this.last = name;
  }

  /** Writes with backpressure, so memory holds at most the stream's buffer, not the archive. */
  private async push(b: Buffer): Promise<void> {
    if (!this.gzip.write(b)) await Promise.race([once(this.gzip, 'drain'), this.done]);
  }
}
