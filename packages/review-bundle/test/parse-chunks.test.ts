/**
 * The diff parser collects hunk lines into runs inside each chunk it is given and goes line by line
 * only at the edges (a line across chunks, the last line of a chunk, "\ No newline" markers, blank
 * context lines without their space). However git's output is cut into chunks, the events must be
 * the same, line for line and byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { DiffFormatError, DiffParser, type DiffSink, type FileHeader, type HunkHeader, type LineBatch } from '../src/diff/parse.js';

const DIFF = Buffer.concat([
  Buffer.from(
    [
      'diff --git a/a.txt b/a.txt',
      'index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644',
      '--- a/a.txt',
      '+++ b/a.txt',
      '@@ -1,5 +1,7 @@ function heading',
      ' one',
      '-two',
      '+TWO',
      '+diff --git a/not/a/header b/not/a/header',
      '',
      '+@@ -1 +1 @@ not a hunk header either',
      ' five',
      '-last',
      '\\ No newline at end of file',
      '+LAST',
      '\\ No newline at end of file',
      'diff --git a/bin.dat b/bin.dat',
      'index 3333333333333333333333333333333333333333..4444444444444444444444444444444444444444 100644',
      'Binary files a/bin.dat and b/bin.dat differ',
      'diff --git a/crlf.txt b/crlf.txt',
      'old mode 100644',
      'new mode 100755',
      'index 5555555555555555555555555555555555555555..6666666666666666666666666666666666666666',
      '--- a/crlf.txt',
      '+++ b/crlf.txt',
      '@@ -1,2 +1,2 @@',
      '-windows\r',
      '+WINDOWS\r',
      ' kept\r',
      '@@ -10 +10,0 @@',
      '-gone',
      'diff --git a/mode.sh b/mode.sh',
      'old mode 100644',
      'new mode 100755',
      'diff --git a/new.txt b/new.txt',
      'new file mode 100644',
      'index 0000000000000000000000000000000000000000..7777777777777777777777777777777777777777',
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1,2 @@',
      '+first',
      '+no newline',
      '\\ No newline at end of file',
      '',
    ].join('\n'),
    'latin1',
  ),
  // Latin-1 bytes, not valid UTF-8, inside a hunk that ends the diff without a final newline.
  Buffer.from('diff --git a/l1.txt b/l1.txt\n--- a/l1.txt\n+++ b/l1.txt\n@@ -1 +1 @@\n-caf\xe9\n+CAF\xc9', 'latin1'),
]);

/** Every event the parser sends, lines as kind, noNewline and exact bytes. */
function events(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const sink: DiffSink = {
    fileStart: (h: FileHeader) => out.push(`file ${h.change} ${h.oldPath?.toString('latin1')} -> ${h.newPath?.toString('latin1')} binary=${h.binary}`),
    hunkStart: (h: HunkHeader) => out.push(`hunk ${h.raw.toString('latin1')}`),
    lines: (b: LineBatch) => {
      for (let i = 0; i < b.count; i++) {
        const text = b.src.subarray(b.startOf(i), b.ends[i]).toString('latin1');
        out.push(`line ${String.fromCharCode(b.kinds[i] as number)} ${b.noNewline} ${JSON.stringify(text)}`);
      }
    },
    hunkEnd: () => out.push('hunkEnd'),
    fileEnd: () => out.push('fileEnd'),
  };
  const parser = new DiffParser(sink);
  for (const c of chunks) parser.push(c);
  parser.end();
  return out;
}

function cut(data: Buffer, sizes: (i: number) => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes(i));
    // A copy each, as a stream hands out separate buffers.
    out.push(Buffer.from(data.subarray(at, at + n)));
    at += n;
  }
  return out;
}

describe('the diff parser and how the diff is cut into chunks', () => {
  // Computed in each test, so a parser that throws fails the tests rather than the whole file.
  const whole = () => events([DIFF]);

  it('reads every line once, with its kind, its bytes and its "No newline" marker', () => {
    const all = whole();
    const lines = all.filter((e) => e.startsWith('line '));
    expect(lines).toEqual([
      'line   false " one\\n"',
      'line - false "-two\\n"',
      'line + false "+TWO\\n"',
      'line + false "+diff --git a/not/a/header b/not/a/header\\n"',
      'line   false " \\n"',
      'line + false "+@@ -1 +1 @@ not a hunk header either\\n"',
      'line   false " five\\n"',
      'line - true "-last\\n\\\\ No newline at end of file\\n"',
      'line + true "+LAST\\n\\\\ No newline at end of file\\n"',
      'line - false "-windows\\r\\n"',
      'line + false "+WINDOWS\\r\\n"',
      'line   false " kept\\r\\n"',
      'line - false "-gone\\n"',
      'line + false "+first\\n"',
      'line + true "+no newline\\n\\\\ No newline at end of file\\n"',
      'line - false "-caf\xe9\\n"',
      'line + false "+CAF\xc9"',
    ]);
    expect(all.filter((e) => e.startsWith('file '))).toEqual([
      'file modified a.txt -> a.txt binary=false',
      'file modified bin.dat -> bin.dat binary=true',
      'file modified crlf.txt -> crlf.txt binary=false',
      'file modified mode.sh -> mode.sh binary=false',
      'file added undefined -> new.txt binary=false',
      'file modified l1.txt -> l1.txt binary=false',
    ]);
    expect(all.filter((e) => e === 'hunkEnd')).toHaveLength(5);
    expect(all.filter((e) => e === 'fileEnd')).toHaveLength(6);
  });

  it.each([
    ['one byte at a time', () => 1],
    ['two bytes', () => 2],
    ['three bytes', () => 3],
    ['seven bytes', () => 7],
    ['64 bytes', () => 64],
    ['sizes 1, 2, 3, … 40 and again', (i: number) => (i % 40) + 1],
    ['pseudo-random sizes', (i: number) => ((i * 7919) % 97) + 1],
  ])('gives the same events cut %s', (_name, sizes) => {
    expect(events(cut(DIFF, sizes))).toEqual(whole());
  });

  it('gives the same events for every single cut point', () => {
    const expected = whole();
    for (let at = 1; at < DIFF.length; at++) {
      expect(events([Buffer.from(DIFF.subarray(0, at)), Buffer.from(DIFF.subarray(at))])).toEqual(expected);
    }
  });

  it.each([
    ['a hunk with more old lines than its header says', '@@ -1 +1,2 @@\n-a\n-b\n+c\n+d\n', 'hunk longer than its header says'],
    ['a line after a complete hunk', '@@ -1 +1 @@\n-a\n+b\n+c\n', 'unexpected line after a hunk'],
    ['a hunk that ends early', '@@ -1,3 +1,3 @@\n a\n', 'the diff ended inside a hunk'],
    ['a line that is not a hunk line', '@@ -1,2 +1,2 @@\n a\n?b\n', 'unexpected line in a hunk'],
    ['a marker with no line before it', '@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n', 'without a line before it'],
  ])('%s is the same error however the diff is cut', (_name, body, message) => {
    const diff = Buffer.from(`diff --git a/x b/x\n--- a/x\n+++ b/x\n${body}`);
    for (const size of [diff.length, 1, 3, 5]) {
      expect(() => events(cut(diff, () => size))).toThrow(DiffFormatError);
      expect(() => events(cut(diff, () => size))).toThrow(message);
    }
  });
});

describe('hunk headers', () => {
  // What the parser accepted before it read headers by hand: this expression on the line without
  // its "\r?\n". The hand-written reader must agree with it on every line, in a chunk or across two.
  const REFERENCE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;
  const VALID = [
    '@@ -1,2 +1,3 @@',
    '@@ -1 +1 @@ heading text',
    '@@ -0,0 +1 @@',
    '@@ -12,0 +11,2 @@  spaced heading ',
    '@@ -3,2 +3,2 @@ crlf\r',
    '@@ -1 +1 @@\xe9t\xe9 (latin-1)',
    '@@ -007,1 +7 @@',
    '@@ -1 +1 @@ @@ -2 +2 @@',
  ];
  const INVALID = [
    '@@ -a +1 @@',
    '@@ -1, +1 @@',
    '@@ -1 +1 @',
    '@@ -1 +1@@',
    '@@ -1  +1 @@',
    '@@ -1 +1 @@ inner\rreturn',
    '@@ +1 -1 @@',
    '@@ -1 +1,x @@',
    '@@ -1 +1 ',
    '@@ - 1 +1 @@',
  ];

  function diffWith(header: string): Buffer {
    const m = REFERENCE.exec(header.replace(/\r$/, ''));
    const oldCount = m?.[2] === undefined ? 1 : Number(m[2]);
    const newCount = m?.[4] === undefined ? 1 : Number(m[4]);
    const both = Math.min(oldCount, newCount);
    const body = [...Array(both).fill(' same'), ...Array(oldCount - both).fill('-old'), ...Array(newCount - both).fill('+new')];
    return Buffer.from(['diff --git a/x b/x', '--- a/x', '+++ b/x', header, ...body, ''].join('\n'), 'latin1');
  }

  function headers(chunks: Buffer[]): HunkHeader[] {
    const out: HunkHeader[] = [];
    const parser = new DiffParser({ fileStart() {}, hunkStart: (h) => out.push(h), lines() {}, hunkEnd() {}, fileEnd() {} });
    for (const c of chunks) parser.push(c);
    parser.end();
    return out;
  }

  it('reads the numbers and the heading exactly as the reference expression does, however the line is cut', () => {
    for (const header of VALID) {
      const m = REFERENCE.exec(header.replace(/\r$/, '')) as RegExpExecArray;
      expect(m, header).not.toBeNull();
      const diff = diffWith(header);
      const at = diff.indexOf('@@');
      // Whole in one chunk, and cut at every point of the header line (the reader then sees it joined).
      for (const cuts of [[diff], ...Array.from({ length: header.length + 1 }, (_, i) => [diff.subarray(0, at + i), diff.subarray(at + i)])]) {
        const [h] = headers(cuts.filter((c) => c.length));
        expect({ ...h, raw: undefined }, header).toEqual({
          oldStart: Number(m[1]),
          oldCount: m[2] === undefined ? 1 : Number(m[2]),
          newStart: Number(m[3]),
          newCount: m[4] === undefined ? 1 : Number(m[4]),
          heading: m[5],
          raw: undefined,
        });
        expect(h?.raw.toString('latin1')).toBe(`${header}\n`);
      }
    }
  });

  it('refuses every line the reference expression refuses, as a bad hunk header', () => {
    for (const header of INVALID) {
      expect(REFERENCE.exec(header.replace(/\r$/, '')), header).toBeNull();
      const diff = diffWith(header);
      const at = diff.indexOf('@@');
      for (const cuts of [[diff], [diff.subarray(0, at + 4), diff.subarray(at + 4)]]) {
        expect(() => headers(cuts), header).toThrow(DiffFormatError);
        expect(() => headers(cuts), header).toThrow(/bad hunk header/);
      }
    }
  });
});
