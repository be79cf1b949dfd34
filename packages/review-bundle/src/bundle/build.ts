/**
 * `buildReviewBundle`: the review bundle of a commit range (SPEC §6).
 *
 * One pass over a streamed `git diff SINCE TO` feeds both possible outputs at once: the single
 * `review_bundle.patch` (kept while it stays under the cap) and the SIZE_CAP packets. At the end the
 * size decides which one is published. Everything is written into a staging directory inside the
 * output directory and moved into place only when complete, `artifact.json` last: a run that fails
 * part-way leaves no artifact.json, so it claims nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, OpenclawError, usageError } from '@openclaw/policy/errors';
import { DiffFormatError, DiffParser } from '../diff/parse.js';
import { DIFF_CONFIG, EMPTY_TREE, firstLine, gitEnv, gitTextLater, resolveRange } from '../git/run.js';
import { spawnSpooled } from '../git/spool.js';
import { BundleAssembler, BundleTap, JsonlSpool, spoolPaths } from './assemble.js';
import { preloadBuiltins } from './builtins.js';
import { ExcludeMatcher } from './exclude.js';
import { PacketGate, PacketWriter } from './packet-writer.js';
import { PacketStore } from './packets.js';
import { type Artifact, publishBundle } from './publish.js';
import { mayContainSecret } from './redact.js';
import { bundleProse, packetProse, packetProseReserve } from './texts.js';

/** Smallest cap that leaves a packet room for its header and a useful amount of diff. */
export const MIN_SIZE_CAP = 2048;
export const DEFAULT_SIZE_CAP = 100 * 1024;
const STAMP_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface BuildOptions {
  /** Any directory inside the repository. */
  repo: string;
  since: string;
  /** Default HEAD. */
  to?: string;
  /** Bytes; default 100 KiB. */
  sizeCap?: number;
  /** Output directory (created if missing); other files in it are left alone. */
  outDir: string;
  /** Produce packets even under the cap (also FORCE_SIZE_CAP=1 in the CLI). */
  forceSizeCap?: boolean;
  /** Over the cap: exit 6 (OpenclawError sizeCapExceeded) instead of packets. */
  strict?: boolean;
  /** Extra globs to leave out (added to the default exclusions). */
  excludes?: string[];
  /** Names review_packets/<stamp>; default the UTC time. Pin it for byte-identical output. */
  stamp?: string;
  onProgress?: (p: BuildProgress) => void;
  /** How much of one file the packer buffers before cutting it (bounded memory). */
  maxBuffer?: number;
}

export interface BuildProgress {
  diffBytes: number;
  files: number;
  packets: number;
  done: boolean;
}

export interface BuildResult {
  outDir: string;
  artifactPath: string;
  artifact: Artifact;
}

export function defaultStamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export async function buildReviewBundle(opts: BuildOptions): Promise<BuildResult> {
  const writer = new PacketWriter();
  try {
    return await build(opts, writer);
  } finally {
    await writer.settle();
  }
}

async function build(opts: BuildOptions, writer: PacketWriter): Promise<BuildResult> {
  const toRef = opts.to ?? 'HEAD';
  const { repo, since, to } = resolveRange(resolve(opts.repo), opts.since, toRef);
  const cap = opts.sizeCap ?? DEFAULT_SIZE_CAP;
  if (cap < MIN_SIZE_CAP)
    throw usageError(`--size-cap ${cap} is below the minimum of ${MIN_SIZE_CAP} bytes`, 'a packet needs room for its header and some diff: use 2kb or more');
  const stamp = opts.stamp ?? defaultStamp();
  if (!STAMP_RE.test(stamp)) throw usageError(`--stamp ${JSON.stringify(stamp)} is not a plain name`, 'use letters, digits, ".", "_" and "-" (at most 64)');
  const outDir = resolve(opts.outDir);
  prepareOutDir(outDir);
  const staging = mkdtempSync(join(outDir, '.review-bundle-staging-'));
  const range = { since, to, cap };
  const forced = opts.forceSizeCap === true;
  const strict = opts.strict === true;
  const spool = spoolPaths(staging);
  const tap = new BundleTap(spool.bundle, cap - Buffer.byteLength(bundleProse(range)));
  // TO's commit time is the archive's mtime; packets are archived as they are written, so it is
  // known before the first one (asked beside the diff: one git start less before the diff begins).
  const toTime = gitTextLater(repo, ['show', '-s', '--format=%ct', to]).then((t) => Number(t) || 0);
  const packetsDir = `review_packets/${stamp}`;
  writer.target(join(staging, 'final', packetsDir), packetsDir, spool.archive);
  const gate = new PacketGate(writer, () => (forced || (tap.exceeded && !strict) ? 'write' : tap.exceeded ? 'drop' : 'hold'));
  const reserve = packetProseReserve(range);
  const store = new PacketStore(
    cap - reserve,
    reserve,
    (i, last) => Buffer.from(packetProse(i, last, range)),
    gate,
    (size) => writer.take(size),
  );
  const coverage = new JsonlSpool(spool.coverage);
  const redactions = new JsonlSpool(spool.redactions);
  const assembler = new BundleAssembler({
    repo,
    store,
    tap,
    excludes: new ExcludeMatcher(opts.excludes ?? []),
    coverage,
    redactions,
    tmpDir: staging,
    maxBuffer: opts.maxBuffer ?? 8 * 1024 * 1024,
  });
  try {
    const ready = toTime.then((t) => {
      writer.mtime = t;
    });
    const diffBytes = await streamDiff(repo, since, to, assembler, writer, ready, join(staging, 'diff.spool'), (diffBytes, done) =>
      opts.onProgress?.({ diffBytes, files: assembler.stats.files, packets: store.count, done }),
    );
    store.finish();
    gate.release(forced || (tap.exceeded && !strict));
    tap.close();
    coverage.close();
    redactions.close();
    const artifact = await publishBundle({
      outDir,
      staging,
      range,
      toRef,
      stamp,
      writer,
      tap,
      assembler,
      coverageFile: spool.coverage,
      redactionsFile: spool.redactions,
      forced,
      strict,
      mtime: writer.mtime,
      diffBytes,
    });
    if (artifact.status === 'size_cap_exceeded') {
      throw new OpenclawError({
        code: 'size_cap_exceeded',
        reason: `the bundle is ${artifact.bundle_bytes} bytes, over the size cap of ${cap} bytes (--strict: no packets)`,
        hint: 'drop --strict to get SIZE_CAP packets, raise --size-cap, or review a smaller range',
        exitCode: ExitCode.sizeCapExceeded,
        details: { artifact: join(outDir, 'artifact.json') },
      });
    }
    return { outDir, artifactPath: join(outDir, 'artifact.json'), artifact };
  } finally {
    assembler.close();
    tap.close();
    // Packet files still being written must land before their directory is removed.
    await writer.settle();
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Creates the output directory and withdraws a previous run's claim before this run starts. */
function prepareOutDir(outDir: string): void {
  try {
    if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new Error('exists and is not a directory');
    mkdirSync(outDir, { recursive: true });
    rmSync(join(outDir, 'artifact.json'), { force: true });
  } catch (e) {
    throw new OpenclawError({
      code: 'out_dir_unusable',
      reason: `cannot write the bundle to ${outDir}: ${(e as Error).message}`,
      hint: 'pass --out with a directory you can write to',
    });
  }
}

/** Streams `git diff` through the parser; returns the number of diff bytes read. */
async function streamDiff(
  repo: string,
  since: string,
  to: string,
  sink: BundleAssembler,
  writer: PacketWriter,
  /** Must be settled before the first line is read. */
  ready: Promise<void>,
  /** Where git's output is spooled (see spawnSpooled). */
  spoolFile: string,
  progress: (bytes: number, done: boolean) => void,
): Promise<number> {
  const args = [
    '-C',
    repo,
    ...DIFF_CONFIG,
    'diff',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--full-index',
    '--find-renames',
    '--unified=3',
    '--diff-algorithm=myers',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    '--no-relative',
    '-O/dev/null',
    since,
    to,
    '--',
  ];
  const { child, chunks, exited } = spawnSpooled(args, gitEnv(), spoolFile);
  // What the end of the run needs loads while git starts on the diff.
  setImmediate(preloadBuiltins);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  // Secrets are looked for line by line only in runs where one could be: the parser asks the
  // prefilter once per chunk for the lines inside it, and once for each line it reads on its own
  // (one across chunks among them).
  const parser = new DiffParser(sink, mayContainSecret);
  let bytes = 0;
  let last = 0;
  try {
    await ready;
    for await (const chunk of chunks) {
      bytes += chunk.length;
      parser.push(chunk);
      // Full packets are compressed on libuv's pool; wait when too many are in flight.
      if (writer.full) await writer.drain();
      const now = Date.now();
      if (now - last > 200) {
        last = now;
        progress(bytes, false);
      }
    }
    parser.end();
  } catch (e) {
    child.kill('SIGKILL');
    await exited.catch(() => 1);
    if (e instanceof DiffFormatError) {
      throw new OpenclawError({
        code: 'diff_unreadable',
        reason: `could not read git's diff output: ${e.message}`,
        hint: 'this is a bug in openclaw; please report it',
      });
    }
    throw e;
  }
  const code = await exited.catch((e: Error) => {
    throw new OpenclawError({ code: 'git_failed', reason: `git diff could not run: ${e.message}`, hint: 'install git and retry' });
  });
  if (code !== 0) {
    throw new OpenclawError({
      code: 'git_failed',
      reason: `git diff ${since === EMPTY_TREE ? 'EMPTY_TREE' : since.slice(0, 12)}..${to.slice(0, 12)} failed: ${firstLine(stderr) || `exit ${code}`}`,
      hint: `run \`git -C ${repo} diff ${since} ${to}\` to see the whole message`,
    });
  }
  progress(bytes, true);
  return bytes;
}
