/**
 * The receiving end of the diff parser: decides per file whether it goes into the bundle (binary,
 * submodule and excluded files are listed, not included), redacts secrets on added lines, feeds the
 * single-file bundle and the packets at once, and records each file's coverage as soon as the file
 * ends (spooled to disk, so a range of a million files does not grow memory).
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ADDED, DELETED, type DiffSink, type FileHeader, type HunkHeader, LineBatch } from '../diff/parse.js';
import { displayPath } from '../git/quote.js';
import type { ExcludeMatcher } from './exclude.js';
import { FilePacker } from './file-packer.js';
import { firstLines } from './hunk.js';
import { OldBlobLines } from './old-lines.js';
import type { PacketStore } from './packets.js';
import { PrivateKeyTracker } from './redact.js';

export type CoverageStatus = 'included' | 'partial' | 'skipped' | 'deleted';

/** One changed file in artifact.json `coverage`. */
export interface CoverageEntry {
  path: string;
  old_path?: string;
  change: FileHeader['change'];
  status: CoverageStatus;
  reason: string;
  packets: number[];
}

export interface RedactionEntry {
  path: string;
  line: number;
  column: number;
  rule: string;
}

/** Appends JSON lines to a file through a small buffer. */
export class JsonlSpool {
  count = 0;
  private fd: number;
  private buf: string[] = [];
  private bytes = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'wx', 0o600);
  }

  push(value: unknown): void {
    const s = `${JSON.stringify(value)}\n`;
    this.buf.push(s);
    this.bytes += s.length;
    this.count++;
    if (this.bytes > 64 * 1024) this.flush();
  }

  flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.bytes = 0;
  }

  close(): void {
    if (this.fd === -1) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** The single-file bundle, written only while it stays under the cap. */
export class BundleTap {
  bytes = 0;
  exceeded = false;
  private fd: number;
  private buf: Buffer[] = [];
  private bufBytes = 0;

  constructor(
    readonly file: string,
    private readonly limit: number,
  ) {
    this.fd = openSync(file, 'wx', 0o600);
  }

  /** Counts `src[start, end)` and keeps it while the bundle is under the limit. */
  writeRange(src: Buffer, start: number, end: number): void {
    if (this.exceeded) this.bytes += end - start;
    else this.write(src.subarray(start, end));
  }

  write(b: Buffer): void {
    this.bytes += b.length;
    if (this.exceeded) return;
    if (this.bytes > this.limit) {
      this.exceeded = true;
      this.buf = [];
      closeSync(this.fd);
      this.fd = -1;
      rmSync(this.file, { force: true });
      return;
    }
    this.buf.push(b);
    this.bufBytes += b.length;
    if (this.bufBytes >= 256 * 1024) this.flush();
  }

  private flush(): void {
    if (this.fd !== -1 && this.buf.length) writeSync(this.fd, Buffer.concat(this.buf));
    this.buf = [];
    this.bufBytes = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
  }
}

export interface AssembleStats {
  files: number;
  included: number;
  partial: number;
  skipped: number;
  deleted: number;
  redactions: number;
  lines_too_long: number;
}

export class BundleAssembler implements DiffSink {
  readonly stats: AssembleStats = { files: 0, included: 0, partial: 0, skipped: 0, deleted: 0, redactions: 0, lines_too_long: 0 };
  readonly warnings = new Set<string>();
  private fileId = 0;
  private header: FileHeader | undefined;
  private skip: string | undefined;
  private packer: FilePacker | undefined;
  private oldLines: OldBlobLines | undefined;
  private readonly keys = new PrivateKeyTracker();
  private redacted = 0;
  private newLine = 0;
  private prevKey: Buffer | undefined;

  constructor(
    private readonly o: {
      repo: string;
      store: PacketStore;
      tap: BundleTap;
      excludes: ExcludeMatcher;
      coverage: JsonlSpool;
      redactions: JsonlSpool;
      tmpDir: string;
      maxBuffer: number;
    },
  ) {}

  fileStart(h: FileHeader): void {
    this.fileId++;
    this.stats.files++;
    this.header = h;
    this.redacted = 0;
    this.keys.interrupt();
    const key = (h.newPath ?? h.oldPath) as Buffer;
    // Git prints files in byte order of path; the packet contract depends on it, so check.
    if (this.prevKey && Buffer.compare(this.prevKey, key) > 0) throw new Error(`internal error: git diff printed ${displayPath(key)} out of path order`);
    this.prevKey = key;
    this.skip = this.skipReason(h);
    if (this.skip) return;
    const headerBytes = h.raw.reduce((n, b) => n + b.length, 0);
    if (headerBytes + 512 > this.o.store.budget) {
      this.skip = `its diff header alone (${headerBytes} bytes) does not fit in a packet`;
      return;
    }
    for (const b of h.raw) this.o.tap.write(b);
    this.packer = new FilePacker({
      store: this.o.store,
      fileId: this.fileId,
      header: h,
      maxBuffer: this.o.maxBuffer,
      oldLines: () => {
        if (!this.oldLines && h.oldBlob && !/^0+$/.test(h.oldBlob)) this.oldLines = new OldBlobLines(this.o.repo, h.oldBlob, this.o.tmpDir, this.fileId);
        return this.oldLines;
      },
    });
  }

  hunkStart(h: HunkHeader): void {
    if (!this.packer) return;
    this.newLine = firstLines(h).newFirst;
    this.o.tap.write(h.raw);
    this.packer.hunkStart(h);
  }

  lines(b: LineBatch): void {
    if (!this.packer) return;
    if (b.suspect || this.keys.active) {
      this.linesChecked(b);
      return;
    }
    // No rule can match in this run and no key block is open: the run passes whole.
    const kinds = b.kinds;
    let deleted = 0;
    for (let i = 0; i < kinds.length; i++) if (kinds[i] === DELETED) deleted++;
    this.newLine += kinds.length - deleted;
    this.pass(b);
  }

  /** Added lines one by one through the redaction rules; a redacted line splits the run. */
  private linesChecked(b: LineBatch): void {
    const n = b.count;
    let from = 0;
    for (let i = 0; i < n; i++) {
      const kind = b.kinds[i];
      if (kind === ADDED) {
        const r = this.keys.redact(b.src.subarray(b.startOf(i), b.ends[i]));
        if (r.redactions.length) {
          if (i > from) this.pass(b.slice(from, i));
          this.redacted += r.redactions.length;
          const path = displayPath((this.header as FileHeader).newPath as Buffer);
          for (const x of r.redactions) this.o.redactions.push({ path, line: this.newLine, column: x.column, rule: x.rule } satisfies RedactionEntry);
          this.pass(LineBatch.single(r.bytes, 0, r.bytes.length, ADDED, b.noNewline));
          from = i + 1;
        }
      } else this.keys.interrupt();
      if (kind !== DELETED) this.newLine++;
    }
    if (from < n) this.pass(from === 0 ? b : b.slice(from, n));
  }

  private pass(b: LineBatch): void {
    this.o.tap.writeRange(b.src, b.begin, b.end);
    (this.packer as FilePacker).lines(b);
  }

  hunkEnd(): void {
    this.packer?.hunkEnd();
  }

  fileEnd(): void {
    const h = this.header as FileHeader;
    const entry: CoverageEntry = {
      path: displayPath((h.newPath ?? h.oldPath) as Buffer),
      ...(h.oldPath && h.newPath && (h.change === 'renamed' || h.change === 'copied') ? { old_path: displayPath(h.oldPath) } : {}),
      change: h.change,
      status: 'included',
      reason: '',
      packets: [],
    };
    if (this.skip || !this.packer) {
      entry.status = 'skipped';
      entry.reason = this.skip ?? 'not placed';
    } else {
      this.packer.end();
      entry.packets = [...this.packer.packets];
      const why: string[] = [];
      if (this.packer.omissions.length) {
        why.push(...this.packer.omissions);
        this.stats.lines_too_long += this.packer.omissions.length;
        this.warnings.add('LINE_EXCEEDS_SIZE_CAP');
      }
      if (this.redacted) {
        why.push(`${this.redacted} secret${this.redacted === 1 ? '' : 's'} redacted on added lines (see redactions); those lines differ from TO`);
        this.stats.redactions += this.redacted;
        this.warnings.add('SECRETS_REDACTED');
      }
      if (why.length) {
        entry.status = 'partial';
        entry.reason = why.join('; ');
      } else if (h.change === 'deleted') entry.status = 'deleted';
      else entry.reason = entry.packets.length > 1 ? `complete, cut at hunk boundaries across ${entry.packets.length} packets` : 'complete';
      if (h.change === 'deleted' && !entry.reason) entry.reason = 'deletion complete';
    }
    this.stats[entry.status]++;
    this.o.coverage.push(entry);
    this.oldLines?.close();
    this.oldLines = undefined;
    this.packer = undefined;
    this.header = undefined;
  }

  private skipReason(h: FileHeader): string | undefined {
    if (h.oldMode === '160000' || h.newMode === '160000') return 'submodule (gitlink) change: the commit id changed, there is no text to review';
    if (h.binary) {
      this.warnings.add('BINARY_FILES_SKIPPED');
      return 'binary file: listed, not included (a packet is text)';
    }
    const rule = this.o.excludes.match(h.newPath && displayPath(h.newPath), h.oldPath && displayPath(h.oldPath));
    if (rule) return rule.rule === 'user' ? `excluded by --exclude ${rule.glob}` : `excluded by default (${rule.rule}: ${rule.glob})`;
    return undefined;
  }

  close(): void {
    this.oldLines?.close();
  }
}

export function spoolPaths(dir: string) {
  return {
    coverage: join(dir, 'coverage.jsonl'),
    redactions: join(dir, 'redactions.jsonl'),
    bundle: join(dir, 'bundle.body'),
    archive: join(dir, 'archive.pieces'),
  };
}
