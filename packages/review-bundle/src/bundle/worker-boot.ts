/**
 * The packet writer's thread (see packet-writer.ts), and its early start: a thread takes some
 * 40-80 ms of CPU to boot, so `openclaw review-bundle` boots it as the command module loads
 * (early.ts, imported first), beside oclif's start and the flag parsing, and buildReviewBundle
 * adopts it. Unreferenced until packets are posted, it keeps nothing alive: a run that fails early or
 * needs no packets just ends.
 */
import { Worker } from 'node:worker_threads';
import { DEFLATE_LEVEL } from './tar.js';

/**
 * The worker, as source text so it runs unchanged from the TypeScript sources (tests) and from the
 * bundled CLI. It handles one message per packet, in order: file, digest, then the tar entry into
 * the gzip stream; the packet is reported done once the compressor has read it. The file is
 * written here too, so the main thread has no callbacks to run per packet. The last message ends
 * the stream with the end of the tar archive; the spool then holds one gzip member (header,
 * deflate body ending in a final block, trailer with the CRC-32 and length of what went in).
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, writeSync } = require('node:fs');
const { hash } = require('node:crypto');
const { createGzip } = require('node:zlib');
const { level } = workerData;
let spoolFd = -1;
let at = 0;
let gzip;
function writeAll(fd, b, pos) {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off, pos === null ? null : pos + off);
}
function fail(index, what, e) {
  parentPort.postMessage({ index, error: 'could not ' + what + ' packet ' + index + ': ' + String((e && e.message) || e) });
}
parentPort.on('message', (m) => {
  if (m.spoolFd !== undefined) {
    spoolFd = m.spoolFd;
    gzip = createGzip({ level, chunkSize: 256 * 1024 });
    gzip.on('data', (b) => {
      writeAll(spoolFd, b, at);
      at += b.length;
    });
    gzip.on('error', (e) => fail(0, 'compress', e));
    return;
  }
  if (m.end !== undefined) {
    gzip.on('end', () => parentPort.postMessage({ ended: at }));
    gzip.end(m.end);
    return;
  }
  const data = Buffer.from(m.buffer, m.offset, m.length);
  try {
    const fd = openSync(m.file, 'wx', 0o644);
    try {
      writeAll(fd, data, null);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    fail(m.index, 'write', e);
    return;
  }
  let sha256;
  try {
    sha256 = hash('sha256', data, 'hex');
  } catch (e) {
    fail(m.index, 'hash', e);
    return;
  }
  gzip.write(m.header);
  gzip.write(data, (e) => {
    if (e) fail(m.index, 'compress', e);
    else parentPort.postMessage({ index: m.index, bytes: m.length, sha256 });
  });
});
`;

export function startPacketWorker(): Worker {
  return new Worker(WORKER_SOURCE, { eval: true, workerData: { level: DEFLATE_LEVEL } });
}

let early: { worker: Worker; failed: boolean } | undefined;

/** Boots a packet worker for the run to come. */
export function bootEarly(): void {
  if (early) return;
  const worker = startPacketWorker();
  worker.unref();
  const e = { worker, failed: false };
  worker.once('error', () => {
    e.failed = true;
  });
  worker.once('exit', () => {
    e.failed = true;
  });
  early = e;
}

/** The early worker, once, if one was booted and is still alive (the caller listens to it at once). */
export function takeEarlyWorker(): Worker | undefined {
  const e = early;
  early = undefined;
  if (!e || e.failed) return undefined;
  e.worker.removeAllListeners('error');
  e.worker.removeAllListeners('exit');
  return e.worker;
}
