/**
 * Lines of a file as it was in SINCE, read forward only. When a hunk is cut into pieces, each piece
 * needs the old lines right after its cut as trailing context (so `git apply` knows where it ends),
 * and those lines may lie far ahead in the diff — after a long run of added lines. Reading them from
 * the old blob keeps memory flat instead of buffering the diff up to them. The blob is written to a
 * temporary file by `git cat-file` and read synchronously, so the packer stays synchronous.
 */
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runGit } from '../git/run.js';

export interface OldLine {
  /** Content with its line ending ('\n' or '\r\n'), without a diff prefix. */
  bytes: Buffer;
  /** The blob's last line has no '\n'. */
  noNewline: boolean;
}

const BLOCK = 64 * 1024;

export class OldBlobLines {
  private fd = -1;
  private readonly file: string;
  private window: OldLine[] = [];
  /** Line number (1-based) of window[0]. */
  private windowStart = 1;
  private buf = Buffer.alloc(0);
  private eof = false;

  constructor(repo: string, blob: string, tmpDir: string, id: number) {
    this.file = join(tmpDir, `old-${id}.blob`);
    const fd = openSync(this.file, 'wx', 0o600);
    try {
      const r = runGit(repo, ['cat-file', 'blob', blob], { stdout: ['ignore', fd, 'pipe'] });
      if (r.code !== 0) throw new Error(`git cat-file blob ${blob} failed: ${r.stderr.trim()}`);
    } finally {
      closeSync(fd);
    }
    this.fd = openSync(this.file, 'r');
  }

  /** Up to `n` lines starting at line `pos` (1-based). `pos` never decreases between calls. */
  peek(pos: number, n: number): OldLine[] {
    if (pos < this.windowStart) throw new Error(`internal error: old line ${pos} was already passed (at ${this.windowStart})`);
    const drop = Math.min(pos - this.windowStart, this.window.length);
    if (drop > 0) {
      this.window = this.window.slice(drop);
      this.windowStart += drop;
    }
    while (this.windowStart < pos && this.readLine()) {
      this.window.shift();
      this.windowStart++;
    }
    while (this.window.length < n && this.readLine());
    return this.window.slice(0, n);
  }

  close(): void {
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.file, { force: true });
  }

  /** Appends the next line to the window; false at the end of the blob. */
  private readLine(): boolean {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl !== -1) {
        this.window.push({ bytes: Buffer.from(this.buf.subarray(0, nl + 1)), noNewline: false });
        this.buf = this.buf.subarray(nl + 1);
        return true;
      }
      if (this.eof) {
        if (this.buf.length === 0) return false;
        this.window.push({ bytes: Buffer.from(this.buf), noNewline: true });
        this.buf = Buffer.alloc(0);
        return true;
      }
      const chunk = Buffer.allocUnsafe(BLOCK);
      const got = readSync(this.fd, chunk, 0, BLOCK, null);
      if (got === 0) this.eof = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, chunk.subarray(0, got)]) : chunk.subarray(0, got);
    }
  }
}
