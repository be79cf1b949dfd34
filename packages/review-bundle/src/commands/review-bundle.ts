import { join, relative } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { type BuildProgress, buildReviewBundle, DEFAULT_SIZE_CAP } from '../bundle/build.js';
import { EMPTY_TREE } from '../git/run.js';
import { formatBytes, parseSize } from '../size.js';

export default class ReviewBundle extends OpenclawCommand {
  static override summary = 'Pack the changes SINCE..TO into a review bundle, or into SIZE_CAP packets when over the cap';
  static override description =
    `Under the size cap: review_bundle.patch and artifact.json. Over it (or with --force-size-cap / FORCE_SIZE_CAP=1): review_packets/<stamp>/packet_NNN.txt, each at most the cap, that \`git apply\` in order on a checkout of SINCE to give TO, plus HOW_TO_PASTE.txt, README_REVIEW_PACKETS.txt, ORB_REVIEW_PACKETS.tar.gz and size_cap_meta.json; artifact.json lists every changed file under "coverage". Lockfiles and generated files are left out (listed); secrets on added lines are redacted. --since ${EMPTY_TREE} (the empty tree) bundles everything up to TO.`;
  static override examples = [
    '<%= config.bin %> review-bundle --since origin/main',
    '<%= config.bin %> review-bundle --repo ~/src/app --since 1a2b3c4 --to HEAD --size-cap 100kb --out /tmp/review',
    '<%= config.bin %> review-bundle --since v1.2.0 --strict --json',
    '<%= config.bin %> review-bundle --since HEAD~20 --exclude "vendor/**" --stamp pinned',
  ];
  static override flags = {
    repo: Flags.string({ description: 'Repository (any directory inside it).', default: '.', helpValue: 'DIR' }),
    since: Flags.string({ description: 'Start of the range (commit, tag or branch; the reviewed base).', required: true, helpValue: 'SHA' }),
    to: Flags.string({ description: 'End of the range.', default: 'HEAD', helpValue: 'REF' }),
    'size-cap': Flags.string({ description: 'Largest bundle or packet, in bytes or kb/mb (1 kb = 1024 bytes).', default: '100kb', helpValue: 'SIZE' }),
    out: Flags.string({ description: 'Output directory (created; other files in it are left alone).', default: 'review-bundle', helpValue: 'DIR' }),
    'force-size-cap': Flags.boolean({ description: 'Write packets even under the cap (also FORCE_SIZE_CAP=1).' }),
    strict: Flags.boolean({ description: 'Over the cap: exit 6 instead of writing packets.' }),
    exclude: Flags.string({ description: 'Leave out files matching GLOB (repeatable; added to the default exclusions).', multiple: true, helpValue: 'GLOB' }),
    stamp: Flags.string({ description: 'Name of the packet folder (default: the UTC time); pin it for byte-identical output.', helpValue: 'S' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ReviewBundle);
    const sizeCap = parseSize(flags['size-cap'] ?? String(DEFAULT_SIZE_CAP));
    const progress = process.stderr.isTTY && !this.wantsJson ? this.progressLine() : undefined;
    const r = await buildReviewBundle({
      repo: flags.repo,
      since: flags.since,
      to: flags.to,
      sizeCap,
      outDir: flags.out,
      forceSizeCap: flags['force-size-cap'] || process.env.FORCE_SIZE_CAP === '1',
      strict: flags.strict,
      excludes: flags.exclude ?? [],
      ...(flags.stamp ? { stamp: flags.stamp } : {}),
      ...(progress ? { onProgress: progress } : {}),
    }).finally(() => progress?.({ diffBytes: 0, files: 0, packets: 0, done: true }));
    const a = r.artifact;
    const rel = (p: string) => relative(process.cwd(), join(r.outDir, p)) || '.';
    this.output({ out_dir: r.outDir, artifact_path: r.artifactPath, ...a }, () => {
      const c = this.colors;
      const range = `${a.since_sha === EMPTY_TREE ? 'empty tree' : a.since_sha.slice(0, 12)}..${a.to_sha.slice(0, 12)}`;
      const s = a.stats;
      const lines: string[] = [];
      if (a.review_packets_dir && a.size_cap_fallback) {
        const n = a.size_cap_fallback.packet_count;
        const why = a.size_cap_exceeded ? `${formatBytes(a.bundle_bytes)} is over the ${formatBytes(a.size_cap_bytes)} cap` : 'packets forced';
        lines.push(`${c.bold('review bundle')} ${range}: ${why} → ${c.yellow(`${n} packet${n === 1 ? '' : 's'}`)} (each ≤ ${a.size_cap_bytes} bytes)`);
        const last = a.size_cap_fallback.packets.at(-1)?.name;
        lines.push(`  packets   ${rel(a.review_packets_dir)}/packet_001.txt${last && last !== 'packet_001.txt' ? ` … ${last}` : ''}`);
        lines.push(`  paste     ${rel(`${a.review_packets_dir}/HOW_TO_PASTE.txt`)}`);
        lines.push(`  archive   ${rel(a.review_packets_archive as string)}`);
      } else {
        lines.push(`${c.bold('review bundle')} ${range}: ${formatBytes(a.bundle_bytes)}, under the ${formatBytes(a.size_cap_bytes)} cap`);
        lines.push(`  patch     ${rel(a.review_bundle_patch as string)}`);
      }
      lines.push(`  artifact  ${rel('artifact.json')}`);
      lines.push(`  files     ${s.files} changed: ${s.included} included, ${s.deleted} deleted, ${s.partial} partial, ${s.skipped} skipped (see coverage)`);
      if (a.warnings.length) lines.push(`  ${c.yellow('warnings')}  ${a.warnings.join(', ')}`);
      return lines.join('\n');
    });
  }

  /** One self-rewriting status line on stderr (TTY only). */
  private progressLine(): (p: BuildProgress) => void {
    let shown = false;
    return (p) => {
      if (p.done) {
        if (shown) process.stderr.write('\r\x1b[K');
        shown = false;
        return;
      }
      shown = true;
      process.stderr.write(`\r\x1b[Kreview-bundle: ${formatBytes(p.diffBytes)} of diff read, ${p.files} files, ${p.packets} packets`);
    };
  }
}
