/**
 * The end of a bundle run: turns the staged packet bodies and spools into the published files and
 * artifact.json, then moves them into the output directory, artifact.json last. Any failure before
 * that last rename removes what was moved and leaves no artifact.json: nothing is claimed.
 */
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OpenclawError } from '@openclaw/policy/errors';
import type { AssembleStats, BundleAssembler, BundleTap, CoverageEntry } from './assemble.js';
import { crypto } from './builtins.js';
import type { PacketWriter } from './packet-writer.js';
import { deflatePiece, EntryOrder, tarHeader, tarPadding } from './tar.js';
import { bundleProse, howToPaste, type PacketListing, type RangeInfo, readme } from './texts.js';

export const ARCHIVE_NAME = 'ORB_REVIEW_PACKETS.tar.gz';
export const PATCH_NAME = 'review_bundle.patch';
const README_NAME = 'README_REVIEW_PACKETS.txt';
const META_NAME = 'size_cap_meta.json';
const OUR_FILES = [PATCH_NAME, README_NAME, ARCHIVE_NAME, META_NAME];

/** `size_cap_meta.json`, also artifact.json `size_cap_fallback`. */
export interface SizeCapMeta {
  size_cap_bytes: number;
  bundle_bytes: number;
  size_cap_exceeded: boolean;
  forced: boolean;
  stamp: string;
  review_packets_dir: string;
  review_packets_archive: string;
  archive_sha256: string;
  how_to_paste: string;
  readme: string;
  packet_count: number;
  packets: PacketListing[];
}

/** artifact.json without its two long lists (`redactions`, `coverage`), which stream to the file. */
export interface Artifact {
  schema: 'openclaw.review-bundle/1';
  status: 'ok' | 'size_cap_exceeded';
  since_sha: string;
  to_sha: string;
  to_ref: string;
  size_cap_bytes: number;
  /** Bytes of the reviewable diff (after exclusions and redaction), without notes. */
  bundle_bytes: number;
  size_cap_exceeded: boolean;
  size_cap_forced: boolean;
  warnings: string[];
  review_bundle_patch?: string;
  review_packets_dir?: string;
  review_packets_archive?: string;
  /** sha256 of what the reviewer reads: the patch file; for packets, of the `<name> <sha256>\n` lines in order. */
  bundle_sha256?: string;
  size_cap_fallback?: SizeCapMeta;
  stats: AssembleStats;
}

export interface PublishInput {
  outDir: string;
  staging: string;
  range: RangeInfo;
  toRef: string;
  stamp: string;
  /** Has written the packets (when they are published) while the diff streamed. */
  writer: PacketWriter;
  tap: BundleTap;
  assembler: BundleAssembler;
  coverageFile: string;
  redactionsFile: string;
  forced: boolean;
  strict: boolean;
  mtime: number;
  diffBytes: number;
  /** Set by writePackets: the digest of the packet list (see Artifact.bundle_sha256). */
  packetsSha256?: string;
}

export async function publishBundle(p: PublishInput): Promise<Artifact> {
  const final = join(p.staging, 'final');
  mkdirSync(final, { recursive: true });
  const exceeded = p.tap.exceeded;
  const usePackets = exceeded || p.forced;
  const warnings: string[] = [];
  if (exceeded) warnings.push('SIZE_CAP_EXCEEDED');
  else if (p.forced) warnings.push('SIZE_CAP_FORCED');
  warnings.push(...[...p.assembler.warnings].sort());
  if (p.assembler.stats.files === 0) warnings.push('EMPTY_RANGE');
  const artifact: Artifact = {
    schema: 'openclaw.review-bundle/1',
    status: 'ok',
    since_sha: p.range.since,
    to_sha: p.range.to,
    to_ref: p.toRef,
    size_cap_bytes: p.range.cap,
    bundle_bytes: p.tap.bytes,
    size_cap_exceeded: exceeded,
    size_cap_forced: p.forced,
    warnings,
    stats: p.assembler.stats,
  };
  const moves: string[] = [];
  if (exceeded && p.strict) {
    artifact.status = 'size_cap_exceeded';
  } else if (!usePackets) {
    const file = join(final, PATCH_NAME);
    artifact.bundle_sha256 = concatFiles(file, [Buffer.from(bundleProse(p.range))], [p.tap.file]);
    artifact.review_bundle_patch = PATCH_NAME;
    moves.push(PATCH_NAME);
  } else {
    const meta = await writePackets(p, final);
    artifact.review_packets_dir = meta.review_packets_dir;
    artifact.review_packets_archive = meta.review_packets_archive;
    artifact.bundle_sha256 = p.packetsSha256 as string;
    artifact.size_cap_fallback = meta;
    writeFileSync(join(final, META_NAME), `${JSON.stringify(meta, null, 2)}\n`);
    moves.push('review_packets', README_NAME, ARCHIVE_NAME, META_NAME);
  }
  await writeArtifact(join(final, 'artifact.json'), artifact, p, usePackets && !(exceeded && p.strict));
  commit(p.outDir, final, moves, p.stamp);
  return artifact;
}

/** Writes `out` as the concatenation of `heads` and the files; returns its sha256. */
function concatFiles(out: string, heads: Buffer[], files: string[]): string {
  const hash = crypto().createHash('sha256');
  const fd = openSync(out, 'wx', 0o644);
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  try {
    for (const h of heads) {
      writeSync(fd, h);
      hash.update(h);
    }
    for (const f of files) {
      const inFd = openSync(f, 'r');
      try {
        for (let n = readSync(inFd, chunk); n > 0; n = readSync(inFd, chunk)) {
          writeSync(fd, chunk, 0, n);
          hash.update(chunk.subarray(0, n));
        }
      } finally {
        closeSync(inFd);
      }
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * HOW_TO_PASTE.txt, the README and the archive, once the packets are written: the packet files,
 * their digests and their compressed pieces were made while the diff streamed (see PacketWriter);
 * what is left is the entries that name the total and must come first in the archive.
 */
async function writePackets(p: PublishInput, final: string): Promise<SizeCapMeta> {
  const packets = await p.writer.finish();
  const n = packets.length;
  const dirRel = `review_packets/${p.stamp}`;
  const dir = join(final, dirRel);
  mkdirSync(dir, { recursive: true });
  for (const pk of packets) if (pk.bytes > p.range.cap) throw new Error(`internal error: ${pk.name} is ${pk.bytes} bytes, over the cap of ${p.range.cap}`);
  const howTo = Buffer.from(howToPaste(p.range, dirRel, packets, p.assembler.stats.skipped, p.assembler.stats.partial));
  const readmeText = Buffer.from(readme(p.range, dirRel, n, ARCHIVE_NAME));
  writeFileSync(join(dir, 'HOW_TO_PASTE.txt'), howTo);
  writeFileSync(join(final, README_NAME), readmeText);
  const order = new EntryOrder();
  const head: Buffer[] = [];
  const entry = (name: string, content?: Buffer) => {
    order.next(name);
    head.push(tarHeader(name, content?.length ?? 0, content === undefined, p.mtime));
    if (content) head.push(content, tarPadding(content.length));
  };
  entry(README_NAME, readmeText);
  entry('review_packets/');
  entry(`${dirRel}/`);
  entry(`${dirRel}/HOW_TO_PASTE.txt`, howTo);
  const archiveSha = p.writer.writeArchive(join(final, ARCHIVE_NAME), deflatePiece(head), order);
  // One digest for the packets in order, without hashing their bytes twice: sha256 of the list
  // of `<name> <sha256>` lines (size_cap_meta.json has each packet's own digest).
  p.packetsSha256 = crypto()
    .createHash('sha256')
    .update(packets.map((pk) => `${pk.name} ${pk.sha256}\n`).join(''))
    .digest('hex');
  return {
    size_cap_bytes: p.range.cap,
    bundle_bytes: p.tap.bytes,
    size_cap_exceeded: p.tap.exceeded,
    forced: p.forced,
    stamp: p.stamp,
    review_packets_dir: dirRel,
    review_packets_archive: ARCHIVE_NAME,
    archive_sha256: archiveSha,
    how_to_paste: `${dirRel}/HOW_TO_PASTE.txt`,
    readme: README_NAME,
    packet_count: n,
    packets: packets.map((pk): PacketListing => ({ name: pk.name, bytes: pk.bytes, sha256: pk.sha256 })),
  };
}

/** artifact.json: the head as pretty JSON, then `redactions` and `coverage`, one entry per line. */
async function writeArtifact(file: string, artifact: Artifact, p: PublishInput, packets: boolean): Promise<void> {
  const head = JSON.stringify(artifact, null, 2);
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, `${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n`);
    await writeList(fd, 'redactions', p.redactionsFile, (line) => line);
    writeSync(fd, ',\n');
    await writeList(fd, 'coverage', p.coverageFile, (line) => {
      if (packets) return line;
      // Without packets, "where" is review_bundle.patch (or nowhere, under --strict).
      const e = JSON.parse(line) as CoverageEntry;
      e.packets = [];
      if (e.status === 'included') e.reason = 'complete';
      return JSON.stringify(e);
    });
    writeSync(fd, '\n}\n');
  } finally {
    closeSync(fd);
  }
}

async function writeList(fd: number, key: string, spool: string, map: (line: string) => string): Promise<void> {
  writeSync(fd, `  ${JSON.stringify(key)}: [`);
  let first = true;
  let buf = '';
  forEachLine(spool, (line) => {
    if (!line) return;
    buf += `${first ? '' : ','}\n    ${map(line)}`;
    first = false;
    if (buf.length > 64 * 1024) {
      writeSync(fd, buf);
      buf = '';
    }
  });
  writeSync(fd, `${buf}${first ? ']' : '\n  ]'}`);
}

/** Calls `each` with every line of a UTF-8 file (without its '\n'), reading 1 MB at a time. */
function forEachLine(file: string, each: (line: string) => void): void {
  const inFd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let rest = Buffer.alloc(0);
    for (let n = readSync(inFd, chunk); n > 0; n = readSync(inFd, chunk)) {
      const data = rest.length ? Buffer.concat([rest, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let at = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, at)) {
        each(data.toString('utf8', at, nl));
        at = nl + 1;
      }
      // The unfinished line is copied: the chunk is read into again.
      rest = Buffer.from(data.subarray(at));
    }
    if (rest.length) each(rest.toString('utf8'));
  } finally {
    closeSync(inFd);
  }
}

/** Moves the staged outputs into `outDir`, artifact.json last; on failure undoes the moves. */
function commit(outDir: string, final: string, moves: string[], stamp: string): void {
  const moved: string[] = [];
  try {
    for (const name of OUR_FILES) rmSync(join(outDir, name), { force: true });
    for (const name of moves) {
      if (name === 'review_packets') {
        mkdirSync(join(outDir, 'review_packets'), { recursive: true });
        const target = join(outDir, 'review_packets', stamp);
        rmSync(target, { recursive: true, force: true });
        renameSync(join(final, 'review_packets', stamp), target);
        moved.push(target);
      } else {
        renameSync(join(final, name), join(outDir, name));
        moved.push(join(outDir, name));
      }
    }
    renameSync(join(final, 'artifact.json'), join(outDir, 'artifact.json'));
  } catch (e) {
    for (const m of moved) rmSync(m, { recursive: true, force: true });
    throw new OpenclawError({
      code: 'bundle_publish_failed',
      reason: `could not put the bundle in place in ${outDir}: ${(e as Error).message}; nothing was published (no artifact.json)`,
      hint: 'check that the output directory is writable and that review_packets in it is a directory, then rerun',
      cause: e,
    });
  }
}
