/** What people read: the packet header, the bundle header, HOW_TO_PASTE.txt and the README. */
import { EMPTY_TREE } from '../git/run.js';
import { formatBytes } from '../size.js';

export interface RangeInfo {
  since: string;
  to: string;
  cap: number;
}

const short = (sha: string) => (sha === EMPTY_TREE ? 'the empty tree' : sha.slice(0, 12));

/**
 * The prose at the top of packet `i`, before its first `diff --git` line (git apply skips it). It
 * does not name the total: a packet is written as soon as it is full, before the total is known.
 * Only the last one, written at the end, says "i of i"; HOW_TO_PASTE.txt gives the total up front.
 * Its length is bounded (no file names), so the packer keeps room for it: see packetProseReserve.
 */
export function packetProse(i: number, last: boolean, r: RangeInfo): string {
  return (
    (last
      ? `# openclaw review packet ${i} of ${i}, the last one (size cap ${r.cap} bytes)\n`
      : `# openclaw review packet ${i}, more follow; the last one says so (size cap ${r.cap} bytes)\n`) +
    `# range ${r.since}..${r.to}\n` +
    '# Paste the packets in order, one per message, and review only after the last one. Lines before\n' +
    '# the first "diff --git" are notes; the rest is a patch: `git apply` the packets in order on a\n' +
    `# checkout of ${short(r.since)} gives ${short(r.to)}. A file cut between packets continues under its own header.\n` +
    '\n'
  );
}

/** Room kept in every packet for its prose (numbers of up to nine digits). */
export function packetProseReserve(r: RangeInfo): number {
  return Math.max(Buffer.byteLength(packetProse(999_999_999, true, r)), Buffer.byteLength(packetProse(999_999_999, false, r)));
}

export function bundleProse(r: RangeInfo): string {
  return (
    `# openclaw review bundle (size cap ${r.cap} bytes)\n` +
    `# range ${r.since}..${r.to}\n` +
    `# Lines before the first "diff --git" are notes; the rest is a patch: \`git apply\` it on a checkout of\n` +
    `# ${short(r.since)} to get ${short(r.to)}. Files not in it are listed in artifact.json (coverage).\n` +
    '\n'
  );
}

export interface PacketListing {
  name: string;
  bytes: number;
  sha256: string;
}

export type PacketSize = Omit<PacketListing, 'sha256'>;

export function howToPaste(r: RangeInfo, dir: string, packets: PacketSize[], notIncluded: number, partial: number): string {
  const n = packets.length;
  const lines = [
    `How to review ${short(r.since)}..${short(r.to)} in ${n} packet${n === 1 ? '' : 's'}`,
    '',
    `Range:     ${r.since}..${r.to}`,
    `Size cap:  ${r.cap} bytes per packet (${formatBytes(r.cap)}); every packet fits.`,
    `Packets:   ${dir}/packet_001.txt … packet_${String(n).padStart(3, '0')}.txt`,
    '',
    'For a reviewer in a chat (a person or a model):',
    `  1. Say first: "I will paste ${n} packet${n === 1 ? '' : 's'} of one change. Reply only OK until the last one, then review it all."`,
    '  2. Paste each packet whole, in order, one per message. Each names its number; the last says it is the last.',
    '  3. After the last packet, ask for the review (blockers first, with file and line).',
    '',
    'To check that the packets are the change (text files):',
    r.since === EMPTY_TREE ? '  git init -q /tmp/review-check' : `  git worktree add --detach /tmp/review-check ${r.since}`,
    `  for p in ${dir}/packet_*.txt; do git -C /tmp/review-check apply "$PWD/$p" || break; done`,
    `  git -C /tmp/review-check add -A && git -C /tmp/review-check diff --cached --stat ${r.to}`,
    '',
  ];
  if (notIncluded || partial) {
    lines.push(
      `Not in the packets: ${notIncluded} file${notIncluded === 1 ? '' : 's'} (binary, excluded or unplaceable); ` +
        `${partial} file${partial === 1 ? '' : 's'} only in part (redacted secrets, over-long lines). ` +
        'artifact.json → coverage says which and why.',
      '',
    );
  }
  lines.push('Packets (bytes; sha256 in size_cap_meta.json):');
  for (const p of packets) lines.push(`  ${p.name}  ${String(p.bytes).padStart(10)}`);
  return `${lines.join('\n')}\n`;
}

export function readme(r: RangeInfo, dir: string, n: number, archive: string): string {
  return `README — review packets

The change ${r.since}..${r.to} is larger than the review size cap of ${r.cap} bytes, so
openclaw review-bundle cut it into ${n} packet${n === 1 ? '' : 's'} that each fit the cap, instead of one
review_bundle.patch. Nothing was dropped silently: artifact.json lists every changed file under
"coverage" with its status (included, partial, skipped, deleted), the reason and its packets.

  ${dir}/packet_NNN.txt   the packets, in order (text before "diff --git" is a note, the rest a patch)
  ${dir}/HOW_TO_PASTE.txt how to hand them to a reviewer, and how to check them with git apply
  ${archive}     all of the above in one archive (deterministic)
  size_cap_meta.json           the packet list with sizes and sha256 (also in artifact.json, size_cap_fallback)
  artifact.json                size_cap_exceeded, warnings, coverage, redactions

How the cut works: files go in byte order of their path; small files are packed together whole; a
file larger than a packet is cut between hunks, and a hunk larger than a packet into smaller hunks
with renumbered headers and context, so each packet applies on top of the ones before it.
Binary files, lockfiles and generated files are listed, not included. Secrets on added lines are
replaced by [REDACTED:rule]; artifact.json records the rule and line, never the value.
`;
}
