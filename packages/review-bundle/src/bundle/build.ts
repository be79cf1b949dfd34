/**
 * `buildReviewBundle`: the review bundle of a commit range (SPEC §6).
 *
 * One pass over a streamed `git diff SINCE TO` feeds both possible outputs at once: the single
 * `review_bundle.patch` (kept while it stays under the cap) and the SIZE_CAP packets. At the end the
 * size decides which one is published. Everything is written into a staging directory inside the
 * output directory and moved into place only when complete, `artifact.json` last: a run that fails
 * part-way leaves no artifact.json, so it claims nothing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, OpenclawError } from '@openclaw/policy/errors';
import { DiffFormatError, DiffParser } from '../diff/parse.js';
import { EMPTY_TREE, firstLine } from '../git/run.js';
import { BundleAssembler, BundleTap, JsonlSpool, spoolPaths } from './assemble.js';
import { preloadBuiltins } from './builtins.js';
import { ExcludeMatcher } from './exclude.js';
import { PacketGate, PacketWriter } from './packet-writer.js';
import { PacketStore } from './packets.js';
import { type Artifact, publishBundle } from './publish.js';
import { mayContainSecret } from './redact.js';
import { type RunningDiff, type Started, type StartOptions, startRun, stopDiff } from './start.js';
import { bundleProse, packetProse, packetProseReserve } from './texts.js';

export { DEFAULT_SIZE_CAP, defaultStamp, MIN_SIZE_CAP } from './start.js';

export interface BuildOptions extends StartOptions {
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

export async function buildReviewBundle(opts: BuildOptions): Promise<BuildResult> {
  const writer = new PacketWriter();
  try {
    return await build(opts, writer);
  } finally {
    await writer.settle();
  }
}

async function build(opts: BuildOptions, writer: PacketWriter): Promise<BuildResult> {
  const started = startRun(opts);
  /** What the run opened, closed at its end in reverse order whatever happens. */
  const opened: { close(): void }[] = [];
  try {
    return await bundle(opts, started, writer, opened);
  } finally {
    stopDiff(started.diff);
    for (const o of opened.reverse()) o.close();
    // Packet files still being written must land before their directory is removed.
    await writer.settle();
    rmSync(started.staging, { recursive: true, force: true });
  }
}

async function bundle(opts: BuildOptions, started: Started, writer: PacketWriter, opened: { close(): void }[]): Promise<BuildResult> {
  const { repo, since, to, toRef, cap, stamp, outDir, staging, diff, toTime } = started;
  const range = { since, to, cap };
  const forced = opts.forceSizeCap === true;
  const strict = opts.strict === true;
  const spool = spoolPaths(staging);
  const tap = new BundleTap(spool.bundle, cap - Buffer.byteLength(bundleProse(range)));
  opened.push(tap);
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
  opened.push(coverage);
  const redactions = new JsonlSpool(spool.redactions);
  opened.push(redactions);
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
  opened.push(assembler);
  const ready = toTime.then((t) => {
    writer.mtime = t;
  });
  const diffBytes = await streamDiff(repo, since, to, diff, assembler, writer, ready, (diffBytes, done) =>
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
}

/** Streams `git diff` through the parser; returns the number of diff bytes read. */
async function streamDiff(
  repo: string,
  since: string,
  to: string,
  diff: RunningDiff,
  sink: BundleAssembler,
  writer: PacketWriter,
  /** Must be settled before the first line is read. */
  ready: Promise<void>,
  progress: (bytes: number, done: boolean) => void,
): Promise<number> {
  const { child, chunks, exited } = diff;
  // What the end of the run needs loads while git starts on the diff.
  setImmediate(preloadBuiltins);
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
      reason: `git diff ${since === EMPTY_TREE ? 'EMPTY_TREE' : since.slice(0, 12)}..${to.slice(0, 12)} failed: ${firstLine(diff.stderr()) || `exit ${code}`}`,
      hint: `run \`git -C ${repo} diff ${since} ${to}\` to see the whole message`,
    });
  }
  progress(bytes, true);
  return bytes;
}
