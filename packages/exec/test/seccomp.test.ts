/**
 * The seccomp filter's fds: each launch gets its own fd reading the whole filter from offset 0, and
 * nothing of it stays on disk — with /proc, without it, and when the fd number names another file.
 * Then real bwrap loads it on every launch of one process.
 */
import { closeSync, mkdirSync, readdirSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY_PATH, detectSandbox } from '@openclaw/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suitedir, testdir } from '../../../test/support/tmp.js';
import { runPlan } from '../src/runner/run-plan.js';
import { bwrapLauncher } from '../src/sandbox/bwrap.js';
import { openSeccompFd, type SeccompFdOptions, seccompProgram } from '../src/sandbox/seccomp.js';

const program = seccompProgram();

/** Everything from the fd's own offset to its end. */
function readToEnd(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) chunks.push(Buffer.from(buf.subarray(0, n)));
  return Buffer.concat(chunks);
}

/** Two fds from two calls, read one after the other to their ends, then closed. */
function twoReads(opts?: SeccompFdOptions): Buffer[] {
  const fds = [openSeccompFd(opts), openSeccompFd(opts)];
  try {
    expect(fds.every((fd) => typeof fd === 'number')).toBe(true);
    return fds.map((fd) => readToEnd(fd as number));
  } finally {
    for (const fd of fds) if (fd !== null) closeSync(fd);
  }
}

describe.skipIf(!program)('openSeccompFd (skipped where there is no filter: not x86_64)', () => {
  // The filter is written under os.tmpdir(), which follows TMPDIR: a directory of this file's own, so
  // other processes' leftovers do not count. The process's first call writes it, so this comes first.
  const tmp = suitedir();
  const leftovers = () => readdirSync(tmp).filter((n) => n.startsWith('openclaw-seccomp-'));
  const saved = process.env.TMPDIR;
  beforeAll(() => {
    process.env.TMPDIR = tmp;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });

  it('leaves nothing in the tmp dir, and two fds each read the whole filter from offset 0', () => {
    const [a, b] = twoReads();
    expect(leftovers()).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(a).toEqual(program);
    expect(b).toEqual(program);
  });

  it('without /proc: each fd is a copy of its own, removed from disk as well', () => {
    const [a, b] = twoReads({ procFds: join(tmp, 'no-proc-here') });
    expect(leftovers()).toEqual([]);
    expect(a).toEqual(program);
    expect(b).toEqual(program);
  });

  it('when the held fd number names another file: that file is not taken for the filter', () => {
    const decoys = testdir({ decoy: 'not a seccomp filter\n' });
    const procFds = join(decoys, 'fd');
    mkdirSync(procFds);
    for (const n of readdirSync('/proc/self/fd')) symlinkSync(join(decoys, 'decoy'), join(procFds, n));
    const [a, b] = twoReads({ procFds });
    expect(leftovers()).toEqual([]);
    expect(a).toEqual(program);
    expect(b).toEqual(program);
  });
});

const bwrap = detectSandbox('bwrap', DEFAULT_POLICY_PATH);

describe.skipIf(!program || !bwrap.available)('the filter in real bwrap (skipped without x86_64 or bubblewrap)', () => {
  it('is loaded by every launch of one process', async () => {
    const work = testdir();
    writeFileSync(join(work, 'marker'), '');
    const launcher = bwrapLauncher({ bwrap: bwrap.binary as string, workspace: work, hide: [] });
    const seccompMode = { file: '/bin/sh', argv: ['sh', '-c', 'grep ^Seccomp: /proc/self/status'], op: ';' as const };
    const newUserNs = { file: '/usr/bin/unshare', argv: ['unshare', '--user', '/bin/true'], op: ';' as const };
    const r = await runPlan(
      {
        commands: [seccompMode, newUserNs, seccompMode, { ...newUserNs, op: undefined }],
        cwd: work,
        env: { PATH: '/usr/bin:/bin' },
        timeoutMs: 30_000,
        maxOutputChars: 100_000,
      },
      launcher,
    );
    expect(r.evidence.map((e) => e.stdout.trim())).toEqual(['Seccomp:\t2', '', 'Seccomp:\t2', '']);
    expect(r.evidence.map((e) => e.returncode === 0)).toEqual([true, false, true, false]);
    expect(r.evidence[1]?.stderr).toMatch(/Operation not permitted/);
    expect(r.evidence[3]?.stderr).toMatch(/Operation not permitted/);
  });
});
