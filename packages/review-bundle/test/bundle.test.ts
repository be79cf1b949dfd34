import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { type BuildOptions, buildReviewBundle, EMPTY_TREE } from '../src/index.js';
import { applyPackets, git, packetFiles, Repo, snapshotDir } from './git-repo.js';

interface Coverage {
  path: string;
  old_path?: string;
  change: string;
  status: string;
  reason: string;
  packets: number[];
}

async function bundle(repo: Repo, since: string, opts: Partial<BuildOptions> = {}) {
  const out = opts.outDir ?? join(testdir(), 'out');
  const r = await buildReviewBundle({ repo: repo.dir, since, outDir: out, stamp: 'T1', ...opts });
  const artifact = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8'));
  const coverage = artifact.coverage as Coverage[];
  const byPath = Object.fromEntries(coverage.map((c) => [c.path, c]));
  const packets = artifact.review_packets_dir ? packetFiles(out, artifact.review_packets_dir) : [];
  return { out, result: r, artifact, coverage, byPath, packets };
}

/** The packet contract, checked on every over-cap bundle: sizes, prose placement, round trip. */
function checkPackets(repo: Repo, b: Awaited<ReturnType<typeof bundle>>, cap: number) {
  expect(b.packets.length).toBeGreaterThan(0);
  for (const p of b.packets) {
    const bytes = readFileSync(p);
    expect(bytes.length, p).toBeLessThanOrEqual(cap);
    const text = bytes.toString('latin1');
    const first = text.indexOf('diff --git ');
    // Prose only before the first diff --git line, and every prose line is a comment or blank.
    for (const l of text.slice(0, first).split('\n')) expect(l === '' || l.startsWith('# ')).toBe(true);
  }
  const notReproduced = b.coverage
    .filter((c) => c.status === 'skipped' || c.status === 'partial')
    .flatMap((c) => [c.path, ...(c.old_path ? [c.old_path] : [])]);
  const rt = applyPackets(repo, b.artifact.since_sha, b.artifact.to_sha, b.packets, notReproduced);
  expect(rt.tree).toBe(rt.expected);
  // What differs before putting skipped/partial files back is exactly what the artifact says.
  expect(rt.differing).toEqual([...new Set(notReproduced)].sort());
  return rt;
}

/** A repository whose one change (a.txt: 1 line → 4,000 lines, 8 KB) is over a 4,096-byte cap. */
function overCapRange(): { repo: Repo; since: string } {
  const repo = Repo.create();
  repo.write('a.txt', 'a\n');
  const since = repo.commit();
  repo.write('a.txt', 'b\n'.repeat(4000));
  repo.commit();
  return { repo, since };
}

describe('under the cap', () => {
  it('writes review_bundle.patch and artifact.json (size_cap_exceeded: false), and the patch applies', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'one\ntwo\nthree\n');
    const since = repo.commit('base');
    repo.write('a.txt', 'one\n2\nthree\n').write('b.txt', 'new\n');
    const to = repo.commit('change');
    const b = await bundle(repo, since);
    expect(b.artifact).toMatchObject({
      status: 'ok',
      since_sha: since,
      to_sha: to,
      size_cap_exceeded: false,
      review_bundle_patch: 'review_bundle.patch',
      warnings: [],
    });
    expect(b.artifact.review_packets_dir).toBeUndefined();
    expect(existsSync(join(b.out, 'review_packets'))).toBe(false);
    expect(b.coverage.map((c) => [c.path, c.status])).toEqual([
      ['a.txt', 'included'],
      ['b.txt', 'included'],
    ]);
    const rt = applyPackets(repo, since, to, [join(b.out, 'review_bundle.patch')]);
    expect(rt.tree).toBe(rt.expected);
  });

  it('an empty range is a valid, empty bundle with an EMPTY_RANGE warning', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'x\n');
    const sha = repo.commit();
    const b = await bundle(repo, sha);
    expect(b.artifact).toMatchObject({ size_cap_exceeded: false, warnings: ['EMPTY_RANGE'], bundle_bytes: 0 });
    expect(b.coverage).toEqual([]);
    const forced = await bundle(repo, sha, { forceSizeCap: true });
    expect(forced.artifact).toMatchObject({ size_cap_exceeded: false, size_cap_forced: true, warnings: ['SIZE_CAP_FORCED', 'EMPTY_RANGE'] });
    expect(forced.artifact.size_cap_fallback.packet_count).toBe(0);
    expect(existsSync(join(forced.out, forced.artifact.review_packets_dir, 'HOW_TO_PASTE.txt'))).toBe(true);
  });

  it('a bad SHA is a clear usage error', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'x\n');
    repo.commit();
    const err = await buildReviewBundle({ repo: repo.dir, since: 'deadbeefdeadbeef', outDir: join(testdir(), 'o') }).catch((e) => e);
    expect(err).toMatchObject({ code: 'bad_revision', exitCode: 2 });
    expect(err.reason).toMatch(/^--since "deadbeefdeadbeef" is not a commit in this repository/);
    expect(err.hint).toMatch(/git -C .* log --oneline/);
    const notRepo = await buildReviewBundle({ repo: testdir(), since: 'HEAD', outDir: join(testdir(), 'o') }).catch((e) => e);
    expect(notRepo).toMatchObject({ code: 'not_a_repository', exitCode: 2 });
    const option = await buildReviewBundle({ repo: repo.dir, since: '--output=/tmp/x', outDir: join(testdir(), 'o') }).catch((e) => e);
    expect(option).toMatchObject({ code: 'bad_revision' });
  });

  // The range is resolved in one git call; whatever that call cannot answer plainly is asked again
  // one revision at a time, so the error names the right flag.
  it.each([
    ['a range as --since', { since: 'HEAD~1..HEAD' }, /^--since "HEAD~1\.\.HEAD" is not a commit/],
    ['an unknown --to', { since: 'HEAD~1', to: 'nosuchbranch' }, /^--to "nosuchbranch" is not a commit/],
    ['a file name as --to', { since: 'HEAD~1', to: 'a.txt' }, /^--to "a\.txt" is not a commit/],
    ['a tree as --to', { since: 'HEAD~1', to: 'HEAD^{tree}' }, /^--to "HEAD\^\{tree\}" is not a commit/],
  ])('%s is a usage error naming the flag', async (_name, range, reason) => {
    const repo = Repo.create();
    repo.write('a.txt', 'x\n');
    repo.commit();
    repo.write('a.txt', 'y\n');
    repo.commit();
    const err = await buildReviewBundle({ repo: repo.dir, outDir: join(testdir(), 'o'), ...range }).catch((e) => e);
    expect(err).toMatchObject({ code: 'bad_revision', exitCode: 2 });
    expect(err.reason).toMatch(reason);
  });
});

describe('SIZE_CAP packets', () => {
  it('covers binary, rename, mode change, deletion, odd names, CRLF, non-UTF-8 and symlinks, and round-trips', async () => {
    const repo = Repo.create();
    const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i + 1}`).join('\n') + '\n';
    repo
      .write('bin.dat', Buffer.from([0, 1, 2, 3, 0, 255, 254]))
      .write('old/name.txt', lines(200, 'moved'))
      .write('old/same.txt', lines(50, 'same'))
      .write('script.sh', '#!/bin/sh\necho hi\n')
      .write('gone.txt', lines(300, 'gone'))
      .write('crlf.txt', 'one\r\ntwo\r\nthree\r\n')
      .write('latin1.txt', Buffer.from('caf\xe9\nna\xefve\n', 'latin1'))
      .write('unicode ünï.txt', 'ü\n')
      .write('keep.txt', lines(10, 'keep'))
      .symlink('link', 'keep.txt');
    const since = repo.commit('base');
    repo.write('bin.dat', Buffer.from([0, 9, 9, 9, 0]));
    repo.mv('old/name.txt', 'new/name.txt');
    repo.write('new/name.txt', lines(200, 'moved').replace('moved line 100\n', 'moved line one hundred\n'));
    repo.mv('old/same.txt', 'new/same.txt');
    repo.write('script.sh', '#!/bin/sh\necho hi\n', 0o755);
    repo.rm('gone.txt');
    repo.write('crlf.txt', 'one\r\n2\r\nthree\r\n');
    repo.write('latin1.txt', Buffer.from('caf\xe9\nna\xefve!\n\xff\xfe\n', 'latin1'));
    repo.write('with space.txt', lines(100, 'space'));
    repo.write('new\nline.txt', 'newline in the name\n');
    repo.write('tab\tname "q".txt', 'tab\n');
    repo.writeRawName(Buffer.from('bad\xffname.txt', 'latin1'), 'x\n');
    repo.write('unicode ünï.txt', 'ü!\n');
    repo.write('empty.txt', '');
    repo.write('no-eol.txt', 'no newline at the end');
    repo.symlink('link', 'script.sh');
    repo.write('big.txt', lines(1500, 'big'));
    const to = repo.commit('change');
    const cap = 4096;
    const b = await bundle(repo, since, { sizeCap: cap });
    expect(b.artifact).toMatchObject({
      status: 'ok',
      to_sha: to,
      size_cap_exceeded: true,
      review_packets_archive: 'ORB_REVIEW_PACKETS.tar.gz',
      review_packets_dir: 'review_packets/T1',
    });
    expect(b.artifact.warnings).toEqual(['SIZE_CAP_EXCEEDED', 'BINARY_FILES_SKIPPED']);
    const status = Object.fromEntries(b.coverage.map((c) => [c.path, c.status]));
    expect(status).toMatchObject({
      'bin.dat': 'skipped',
      'new/name.txt': 'included',
      'new/same.txt': 'included',
      'script.sh': 'included',
      'gone.txt': 'deleted',
      'crlf.txt': 'included',
      'latin1.txt': 'included',
      'with space.txt': 'included',
      'new\nline.txt': 'included',
      'tab\tname "q".txt': 'included',
      '"bad\\377name.txt"': 'included',
      'unicode ünï.txt': 'included',
      'empty.txt': 'included',
      'no-eol.txt': 'included',
      link: 'included',
      'big.txt': 'included',
    });
    expect(b.byPath['new/name.txt']).toMatchObject({ change: 'renamed', old_path: 'old/name.txt' });
    expect(b.byPath['bin.dat']?.reason).toMatch(/binary/);
    expect(b.byPath['big.txt']?.packets.length).toBeGreaterThan(2);
    // Files appear in byte order of path.
    const paths = b.coverage.map((c) => c.path);
    expect(b.coverage.length).toBe(16);
    expect(new Set(paths).size).toBe(paths.length);
    checkPackets(repo, b, cap);
  });

  it('a file cut into pieces keeps its rename, mode change, CRLF and missing final newline', async () => {
    const repo = Repo.create();
    const body = (tag: string) => Array.from({ length: 3000 }, (_, i) => `${tag} ${i % 5}\r`).join('\n');
    repo
      .write('old name.txt', `${body('x')}\n`)
      .write('tool.sh', `${body('t')}\n`)
      .write('typechange', 'a regular file\n');
    const since = repo.commit();
    repo.mv('old name.txt', 'dir/new name.txt');
    repo.write('dir/new name.txt', body('x').replace(/x 3\r/g, 'x three\r').replace('x 1\r', 'x one\r'));
    repo.write('tool.sh', `${body('t').replace(/t 2\r/g, 't two\r')}\n`, 0o755);
    repo.rm('typechange');
    repo.symlink('typechange', 'tool.sh');
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 4096 });
    expect(b.byPath['dir/new name.txt']).toMatchObject({ change: 'renamed', old_path: 'old name.txt', status: 'included' });
    expect(b.byPath['dir/new name.txt']?.packets.length).toBeGreaterThan(3);
    expect(b.byPath['tool.sh']?.packets.length).toBeGreaterThan(3);
    expect(b.coverage.filter((c) => c.path === 'typechange').map((c) => c.change)).toEqual(['deleted', 'added']);
    checkPackets(repo, b, 4096);
    // The tree comparison includes modes; the mode change rides on the file's first piece only.
    const text = b.packets.map((p) => readFileSync(p, 'latin1')).join('');
    expect(text.match(/new mode 100755/g)).toHaveLength(1);
    expect(text.match(/rename to dir\/new name.txt/g)).toHaveLength(1);
  });

  it('cuts a file of many hunks at hunk boundaries', async () => {
    const repo = Repo.create();
    const base = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    repo.write('many.txt', `${base.join('\n')}\n`);
    const since = repo.commit();
    repo.write('many.txt', `${base.map((l, i) => (i % 10 === 5 ? `${l} changed` : l)).join('\n')}\n`);
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 8 * 1024 });
    expect(b.byPath['many.txt']?.status).toBe('included');
    expect(b.packets.length).toBeGreaterThan(20);
    checkPackets(repo, b, 8 * 1024);
  });

  it('cuts a 5 MB hunk into smaller hunks that apply in sequence', async () => {
    const repo = Repo.create();
    const before = Array.from({ length: 2000 }, (_, i) => `context ${i % 7}`);
    repo.write('huge.txt', `${before.join('\n')}\n`);
    const since = repo.commit();
    // One hunk: a 5 MB block of added and changed lines in the middle, with repetitive context
    // around it (git apply would find a wrong place if the headers were not exact).
    const block = Array.from({ length: 90_000 }, (_, i) => `added ${i} ${'x'.repeat(50)}`);
    const after = [...before.slice(0, 1000).map((l, i) => (i > 990 ? `${l}!` : l)), ...block, ...before.slice(1000).map((l, i) => (i < 5 ? `${l}?` : l))];
    repo.write('huge.txt', `${after.join('\n')}\n`);
    repo.commit();
    const diffSize = git(repo.dir, ['diff', since, 'HEAD']).length;
    expect(diffSize).toBeGreaterThan(5 * 1024 * 1024);
    const cap = 256 * 1024;
    const b = await bundle(repo, since, { sizeCap: cap });
    expect(b.byPath['huge.txt']?.status).toBe('included');
    expect(b.packets.length).toBeGreaterThan(20);
    checkPackets(repo, b, cap);
  });

  it('cuts a huge new file and a huge deletion', async () => {
    const repo = Repo.create();
    const text = (tag: string) => Array.from({ length: 30_000 }, (_, i) => `${tag} ${i % 3}`).join('\n');
    repo.write('doomed.txt', `${text('doomed')}\n`);
    const since = repo.commit();
    repo.rm('doomed.txt');
    repo.write('born.txt', text('born'));
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 16 * 1024 });
    expect(b.byPath['doomed.txt']).toMatchObject({ status: 'deleted', change: 'deleted' });
    expect(b.byPath['born.txt']).toMatchObject({ status: 'included', change: 'added' });
    checkPackets(repo, b, 16 * 1024);
  });

  it('reports a line longer than the cap (never drops it silently) and the rest still round-trips', async () => {
    const repo = Repo.create();
    repo.write('data.json', '{"a": 1}\n').write('other.txt', 'a\nb\n');
    const since = repo.commit();
    repo.write('data.json', `{"a": 1}\n${JSON.stringify({ blob: 'z'.repeat(10_000) })}\n{"b": 2}\n`).write('other.txt', 'a\nB\n');
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 4096 });
    expect(b.byPath['data.json']?.status).toBe('partial');
    expect(b.byPath['data.json']?.reason).toMatch(/new line 2 is 10\d{3} bytes, more than fits in a packet/);
    expect(b.byPath['other.txt']?.status).toBe('included');
    expect(b.artifact.warnings).toContain('LINE_EXCEEDS_SIZE_CAP');
    expect(b.artifact.stats.lines_too_long).toBe(1);
    checkPackets(repo, b, 4096);
  });

  it('FORCE packets under the cap, --strict refuses over it (exit 6, no packets)', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'a\n');
    const since = repo.commit();
    repo.write('a.txt', `${'b\n'.repeat(5000)}`);
    repo.commit();
    const forced = await bundle(repo, since, { forceSizeCap: true, sizeCap: 1024 * 1024 });
    expect(forced.artifact).toMatchObject({ size_cap_exceeded: false, size_cap_forced: true, review_packets_dir: 'review_packets/T1' });
    expect(forced.packets.length).toBe(1);
    checkPackets(repo, forced, 1024 * 1024);
    const out = join(testdir(), 'strict');
    const err = await buildReviewBundle({ repo: repo.dir, since, outDir: out, sizeCap: 4096, strict: true }).catch((e) => e);
    expect(err).toMatchObject({ code: 'size_cap_exceeded', exitCode: 6 });
    expect(readdirSync(out)).toEqual(['artifact.json']);
    expect(JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8'))).toMatchObject({
      status: 'size_cap_exceeded',
      size_cap_exceeded: true,
      warnings: ['SIZE_CAP_EXCEEDED'],
    });
  });

  it('same inputs give byte-identical output, archive included', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'a\n'.repeat(100));
    const since = repo.commit();
    repo.write('a.txt', 'b\n'.repeat(3000)).write('c.txt', 'c\n'.repeat(3000));
    repo.commit();
    const one = await bundle(repo, since, { sizeCap: 4096 });
    const two = await bundle(repo, since, { sizeCap: 4096 });
    expect(one.out).not.toBe(two.out);
    const a = snapshotDir(one.out);
    const b = snapshotDir(two.out);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a)) expect(a[k]?.equals(b[k] as Buffer), k).toBe(true);
    // The archive lists its entries sorted, owned by 0:0, with one mtime (the TO commit's).
    const list = spawnTar(['-tvzf', join(one.out, 'ORB_REVIEW_PACKETS.tar.gz')]);
    const names = list.split('\n').map((l) => l.split(/\s+/).pop());
    expect(names).toEqual([...names].sort());
    expect(names[0]).toBe('README_REVIEW_PACKETS.txt');
    expect(list).toMatch(/^-rw-r--r-- 0\/0 /);
    expect(list).toContain('2026-01-01 00:00');
  });

  it('the archive holds exactly the published files, with the digest the meta gives, under and over 999 packets', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'a\n'.repeat(100));
    const since = repo.commit();
    repo.write('a.txt', Array.from({ length: 40_000 }, (_, i) => `changed line ${i} ${'y'.repeat(20)}`).join('\n'));
    repo.commit();
    for (const [sizeCap, wide] of [
      [256 * 1024, false],
      [2048, true],
    ] as const) {
      const b = await bundle(repo, since, { sizeCap });
      const meta = b.artifact.size_cap_fallback;
      expect(meta.packet_count > 999, String(sizeCap)).toBe(wide);
      expect(meta.packets[0].name).toBe(wide ? 'packet_0001.txt' : 'packet_001.txt');
      const archive = join(b.out, 'ORB_REVIEW_PACKETS.tar.gz');
      expect(createHash('sha256').update(readFileSync(archive)).digest('hex')).toBe(meta.archive_sha256);
      const unpacked = testdir();
      spawnTar(['-xzf', archive, '-C', unpacked]);
      const published = snapshotDir(b.out);
      const inArchive = snapshotDir(unpacked);
      const expected = Object.keys(published).filter((k) => k.startsWith('review_packets/') || k === 'README_REVIEW_PACKETS.txt');
      expect(Object.keys(inArchive).sort()).toEqual(expected.sort());
      for (const k of expected) expect(inArchive[k]?.equals(published[k] as Buffer), k).toBe(true);
    }
  });

  it('packets that compress to more than a compressor chunk are archived whole', async () => {
    // 1 MB packets of random bytes as hex: deflate gets them to about half, past its 128 KB chunk.
    const repo = Repo.create();
    repo.write('a.txt', 'a\n');
    const since = repo.commit();
    for (const f of ['r1.txt', 'r2.txt', 'r3.txt']) {
      repo.write(f, Array.from({ length: 8000 }, () => randomBytes(56).toString('hex')).join('\n'));
    }
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 1024 * 1024 });
    expect(b.packets.length).toBeGreaterThanOrEqual(3);
    checkPackets(repo, b, 1024 * 1024);
    const unpacked = testdir();
    spawnTar(['-xzf', join(b.out, 'ORB_REVIEW_PACKETS.tar.gz'), '-C', unpacked]);
    const dir = b.artifact.review_packets_dir as string;
    for (const p of b.packets) expect(readFileSync(join(unpacked, dir, basename(p))).equals(readFileSync(p)), p).toBe(true);
  });

  it('a run in the same output directory replaces the previous bundle', async () => {
    const { repo, since } = overCapRange();
    const out = join(testdir(), 'out');
    await bundle(repo, since, { outDir: out, sizeCap: 4096 });
    const small = await bundle(repo, since, { outDir: out });
    expect(small.artifact.size_cap_exceeded).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['artifact.json', 'review_bundle.patch', 'review_packets']);
  });

  it('a fallback that cannot be completed exits non-zero and claims nothing', async () => {
    const { repo, since } = overCapRange();
    // review_packets is a file: the packets cannot be moved into place, after everything was built.
    const out = join(testdir(), 'out');
    await bundle(repo, since, { outDir: out, sizeCap: 4096 });
    rmSync(join(out, 'review_packets'), { recursive: true });
    writeFileSync(join(out, 'review_packets'), 'in the way');
    const err = await buildReviewBundle({ repo: repo.dir, since, outDir: out, sizeCap: 4096, stamp: 'T2' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'bundle_publish_failed', exitCode: 1 });
    expect(err.reason).toMatch(/nothing was published/);
    expect(readdirSync(out).sort()).toEqual(['review_packets']);
    // The output path is a file.
    const file = join(testdir(), 'file');
    writeFileSync(file, 'x');
    const err2 = await buildReviewBundle({ repo: repo.dir, since, outDir: file, sizeCap: 4096 }).catch((e) => e);
    expect(err2).toMatchObject({ code: 'out_dir_unusable', exitCode: 1 });
  });

  it('a packet that cannot be written while the diff streams fails the run, which leaves nothing behind', async () => {
    const { repo, since } = overCapRange();
    // An output directory so deep that the packet folder can be made but not a file in it: the
    // staging folder adds 30 bytes, "/final/review_packets/T" 23, "/packet_001.txt" 15, and a path
    // must stay under 4,096 bytes (PATH_MAX).
    let out = testdir();
    while (out.length < 4035 - 201) out = join(out, 'd'.repeat(200));
    out = join(out, 'e'.repeat(4035 - out.length - 1));
    expect(out.length).toBe(4035);
    const err = await buildReviewBundle({ repo: repo.dir, since, outDir: out, sizeCap: 4096, stamp: 'T' }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^could not write packet 1: ENAMETOOLONG/);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("git diff's output", () => {
  it('a git diff that fails part-way fails the run with its message, and leaves nothing behind', async () => {
    const repo = Repo.create();
    for (const f of ['a', 'b', 'c']) repo.write(`${f}.txt`, `${f}\n`.repeat(2000));
    const since = repo.commit();
    for (const f of ['a', 'b', 'c']) repo.write(`${f}.txt`, `${f}${f}\n`.repeat(2000));
    repo.commit();
    // The last file's new blob is unreadable: git prints the first files' diff, then dies.
    const blob = git(repo.dir, ['rev-parse', 'HEAD:c.txt']).trim();
    const object = join(repo.dir, '.git/objects', blob.slice(0, 2), blob.slice(2));
    chmodSync(object, 0o644);
    writeFileSync(object, 'not a zlib stream');
    const out = join(testdir(), 'out');
    const err = await buildReviewBundle({ repo: repo.dir, since, outDir: out, sizeCap: 4096, stamp: 'T' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'git_failed', exitCode: 1 });
    expect(err.reason).toMatch(/^git diff [0-9a-f]{12}\.\.[0-9a-f]{12} failed: (error|fatal): /);
    expect(readdirSync(out)).toEqual([]);
  });

  it('is the same whether or not stdbuf is there to enlarge its writes', async () => {
    const { repo, since } = overCapRange();
    const withStdbuf = await bundle(repo, since, { sizeCap: 4096 });
    // A PATH with git alone on it (stdbuf is looked up on PATH).
    const bin = testdir();
    const gitPath = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(gitPath, join(bin, 'git'));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      const without = await bundle(repo, since, { sizeCap: 4096 });
      expect(snapshotDir(without.out)).toEqual(snapshotDir(withStdbuf.out));
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('exclusions and secrets', () => {
  it('lists lockfiles, generated files and --exclude globs as skipped with the rule', async () => {
    const repo = Repo.create();
    repo.write('src/a.ts', 'a\n');
    const since = repo.commit();
    repo
      .write('pnpm-lock.yaml', 'lock: 1\n')
      .write('web/app.min.js', 'x\n')
      .write('web/app.js.map', '{}\n')
      .write('vendor/lib/x.c', 'int x;\n')
      .write('src/a.ts', 'b\n');
    repo.commit();
    const b = await bundle(repo, since, { excludes: ['vendor/**'] });
    expect(b.byPath['pnpm-lock.yaml']).toMatchObject({ status: 'skipped', reason: 'excluded by default (lockfile: pnpm-lock.yaml)' });
    expect(b.byPath['web/app.min.js']).toMatchObject({ status: 'skipped', reason: 'excluded by default (minified: *.min.js)' });
    expect(b.byPath['web/app.js.map']?.status).toBe('skipped');
    expect(b.byPath['vendor/lib/x.c']).toMatchObject({ status: 'skipped', reason: 'excluded by --exclude vendor/**' });
    expect(b.byPath['src/a.ts']?.status).toBe('included');
    const patch = readFileSync(join(b.out, 'review_bundle.patch'), 'utf8');
    expect(patch).not.toContain('lock: 1');
    expect(patch).toContain('+b');
  });

  it('redacts secrets on added lines: the rule and line are recorded, the value appears nowhere', async () => {
    const repo = Repo.create();
    repo.write('config.py', 'DEBUG = True\n');
    const since = repo.commit();
    const secrets = {
      aws: 'AKIAIOSFODNN7EXAMPLE',
      gh: `ghp_${'a1B2'.repeat(9)}`,
      pass: 'hunter2hunter2',
      keyBody: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
    };
    repo.write(
      'config.py',
      [
        'DEBUG = True',
        `AWS_KEY = "${secrets.aws}"`,
        `token = "${secrets.gh}"`,
        `password = "${secrets.pass}"`,
        '-----BEGIN PRIVATE KEY-----',
        secrets.keyBody,
        '-----END PRIVATE KEY-----',
        'ok = 1',
        '',
      ].join('\n'),
    );
    repo.commit();
    for (const force of [false, true]) {
      const b = await bundle(repo, since, { forceSizeCap: force });
      const all = Object.values(snapshotDir(b.out))
        .map((x) => x.toString('latin1'))
        .join('\n');
      for (const s of Object.values(secrets)) expect(all).not.toContain(s);
      expect(b.artifact.warnings).toContain('SECRETS_REDACTED');
      expect(b.byPath['config.py']?.status).toBe('partial');
      expect(b.artifact.redactions.map((r: { line: number; rule: string }) => [r.line, r.rule])).toEqual([
        [2, 'aws_access_key_id'],
        [3, 'github_token'],
        [4, 'assigned_secret'],
        [5, 'private_key'],
        [6, 'private_key'],
        [7, 'private_key'],
      ]);
      expect(all).toContain('[REDACTED:aws_access_key_id]');
      expect(all).toContain('+ok = 1');
    }
  });
});

describe('secrets across read boundaries', () => {
  it('finds every secret in a diff read in many chunks (the chunk prefilter overlaps)', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'a\n');
    const since = repo.commit();
    // Lines of varying length move each key across the 64 KiB boundaries of git's output.
    const keys = Array.from({ length: 4000 }, (_, i) => `${'x'.repeat(i % 37)} id=AKIA${String(i).padStart(16, '0')}`);
    repo.write('keys.txt', `${keys.join('\n')}\n`);
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 64 * 1024 });
    expect(b.artifact.stats.redactions).toBe(4000);
    const all = Object.values(snapshotDir(b.out))
      .map((x) => x.toString('latin1'))
      .join('');
    expect(all).not.toMatch(/AKIA\d{16}/);
  });
});

describe('memory bound', () => {
  it('files larger than the in-memory buffer are cut the same way (maxBuffer)', async () => {
    const repo = Repo.create();
    repo.write('a.txt', Array.from({ length: 5000 }, (_, i) => `a${i % 5}`).join('\n'));
    const since = repo.commit();
    repo.write('a.txt', Array.from({ length: 5000 }, (_, i) => (i % 50 === 0 ? `changed ${i}` : `a${i % 5}`)).join('\n'));
    repo.write('b.txt', 'b\n'.repeat(3000));
    repo.commit();
    const b = await bundle(repo, since, { sizeCap: 64 * 1024, maxBuffer: 4096, forceSizeCap: true });
    checkPackets(repo, b, 64 * 1024);
  });
});

describe('the empty tree as SINCE', () => {
  it('bundles the whole history', async () => {
    const repo = Repo.create();
    repo.write('a.txt', 'a\n'.repeat(3000)).write('b/c.txt', 'c\n');
    repo.commit();
    const b = await bundle(repo, EMPTY_TREE, { sizeCap: 4096 });
    expect(b.artifact.since_sha).toBe(EMPTY_TREE);
    checkPackets(repo, b, 4096);
  });
});

function spawnTar(args: string[]): string {
  const r = spawnSync('tar', args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}
