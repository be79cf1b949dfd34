/**
 * Property: for any text change and any cap, the packets round-trip through `git apply`. Lines come
 * from a tiny alphabet so context repeats everywhere (a wrong hunk header would apply at the wrong
 * place and the trees would differ), with long lines, CRLF, files without a final newline, and a
 * small in-memory buffer so every packing path is taken.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { buildReviewBundle } from '../src/index.js';
import { applyPackets, packetFiles, Repo } from './git-repo.js';

const line = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', '', '{', '}') },
  { weight: 2, arbitrary: fc.constantFrom('a\r', 'x'.repeat(300), 'y'.repeat(900)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => s.replace(/[\n\r]/g, '')) },
);
const text = fc.record({ lines: fc.array(line, { maxLength: 400 }), eol: fc.boolean() });

type Edit = { at: number; del: number; ins: string[] };
const edits = fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 60 }), ins: fc.array(line, { maxLength: 120 }) }), { maxLength: 8 });

function render(t: { lines: string[]; eol: boolean }): string {
  if (!t.lines.length) return '';
  return t.lines.join('\n') + (t.eol ? '\n' : '');
}

function apply(lines: string[], es: Edit[]): string[] {
  const out = [...lines];
  for (const e of es) {
    const at = out.length ? e.at % (out.length + 1) : 0;
    out.splice(at, e.del, ...e.ins);
  }
  return out;
}

describe('packets round-trip (property)', () => {
  it('any change, any cap: applying the packets in order gives TO', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ before: text, edits, eolAfter: fc.boolean() }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 4096, max: 12288 }),
        fc.integer({ min: 512, max: 65536 }),
        async (files, cap, maxBuffer) => {
          const repo = Repo.create();
          for (const [i, f] of files.entries()) repo.write(`f${i}.txt`, render(f.before));
          const since = repo.commit();
          for (const [i, f] of files.entries()) repo.write(`f${i}.txt`, render({ lines: apply(f.before.lines, f.edits), eol: f.eolAfter }));
          const to = repo.commit();
          const out = join(testdir(), 'out');
          await buildReviewBundle({ repo: repo.dir, since, outDir: out, sizeCap: cap, maxBuffer, forceSizeCap: true, stamp: 'P' });
          const artifact = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8'));
          for (const p of artifact.size_cap_fallback.packets) expect(p.bytes).toBeLessThanOrEqual(cap);
          // Lines of 900 bytes fit in every cap here, so nothing may be partial or skipped.
          for (const c of artifact.coverage) expect(c.status, c.reason).toBe('included');
          const rt = applyPackets(repo, since, to, packetFiles(out, artifact.review_packets_dir));
          expect(rt.tree).toBe(rt.expected);
        },
      ),
      { numRuns: 30 },
    );
  });
});
