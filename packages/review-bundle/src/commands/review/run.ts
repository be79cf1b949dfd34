import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { DEFAULT_API_BASE } from '../../review/model.js';
import { runReview } from '../../review/run.js';
import { parseSize } from '../../size.js';

export default class ReviewRun extends OpenclawCommand {
  static override summary = 'Review SINCE..TO with an OpenAI-compatible model and write the verdict the push gate checks';
  static override description =
    `Builds the review bundle (SIZE_CAP packets when over the cap), sends each packet to the model at --api-base (OPENCLAW_MODEL_API_BASE, default ${DEFAULT_API_BASE}; key from OPENCLAW_MODEL_API_KEY or OPENAI_API_KEY) and writes verdict.json into the output directory and the repository's verdict store (<git dir>/openclaw/verdicts). --since defaults to the SHA in docs/LAST_REVIEWED_SHA.txt. Exit 0 when approved, 3 when blocked. --simulate writes a verdict marked simulated, which the push gate and review finish refuse.`;
  static override examples = [
    '<%= config.bin %> review run',
    '<%= config.bin %> review run --since origin/main --model gpt-4.1 --api-base https://api.openai.com/v1',
    '<%= config.bin %> review run --since HEAD~3 --simulate --json',
  ];
  static override flags = {
    repo: Flags.string({ description: 'Repository (any directory inside it).', default: '.', helpValue: 'DIR' }),
    since: Flags.string({ description: 'Start of the range (default: docs/LAST_REVIEWED_SHA.txt).', helpValue: 'SHA' }),
    to: Flags.string({ description: 'End of the range.', default: 'HEAD', helpValue: 'REF' }),
    'size-cap': Flags.string({ description: 'Largest packet sent in one request (bytes or kb/mb).', default: '100kb', helpValue: 'SIZE' }),
    out: Flags.string({ description: 'Where the bundle and verdict.json go (default: <git dir>/openclaw/reviews/<range>).', helpValue: 'DIR' }),
    model: Flags.string({ description: 'Model name sent to the endpoint (default: OPENCLAW_REVIEW_MODEL, OPENCLAW_MODEL, "default").', helpValue: 'NAME' }),
    'api-base': Flags.string({ description: 'OpenAI-compatible base URL (default: OPENCLAW_MODEL_API_BASE).', helpValue: 'URL' }),
    timeout: Flags.integer({ description: 'Seconds to wait for each reply.', default: 300, min: 1, helpValue: 'S' }),
    exclude: Flags.string({ description: 'Leave out files matching GLOB (repeatable).', multiple: true, helpValue: 'GLOB' }),
    simulate: Flags.boolean({ description: 'Write a simulated verdict without calling a model (refused by the gate).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ReviewRun);
    const r = await runReview({
      repo: flags.repo,
      to: flags.to,
      ...(flags.since ? { since: flags.since } : {}),
      sizeCap: parseSize(flags['size-cap']),
      ...(flags.out ? { outDir: flags.out } : {}),
      simulate: flags.simulate,
      excludes: flags.exclude ?? [],
      endpoint: {
        ...(flags.model ? { model: flags.model } : {}),
        ...(flags['api-base'] ? { apiBase: flags['api-base'].replace(/\/+$/, '') } : {}),
        timeoutMs: flags.timeout * 1000,
      },
      ...(process.stderr.isTTY && !this.wantsJson ? { onPacket: (i: number, n: number) => process.stderr.write(`\r\x1b[Kreview: packet ${i} of ${n}…`) } : {}),
    });
    if (process.stderr.isTTY && !this.wantsJson) process.stderr.write('\r\x1b[K');
    const v = r.verdict;
    const approved = v.verdict === 'APPROVED';
    this.output(
      { verdict_file: r.verdictFile, stored: r.storedFile, ...v },
      () => {
        const c = this.colors;
        const lines = [
          `${approved ? c.green.bold('APPROVED') : c.red.bold('BLOCKED')}  ${v.meta.since_sha.slice(0, 12)}..${v.meta.to_sha.slice(0, 12)}  by ${v.meta.reviewer.name} ${v.meta.reviewer.version || '(no version)'}${v.meta.simulated ? c.yellow('  SIMULATED (the push gate refuses it)') : ''}`,
        ];
        for (const b of v.blockers) lines.push(`  ${c.red('blocker')} ${b.path ? `${b.path}${b.line ? `:${b.line}` : ''}: ` : ''}${b.message}`);
        for (const n of v.notes ?? []) lines.push(`  ${c.dim('note')} ${n}`);
        lines.push(`  verdict  ${r.verdictFile}`);
        if (approved && !v.meta.simulated)
          lines.push('  next: git push (the pre-push gate checks this verdict), or `openclaw review finish` to record the new baseline');
        return lines.join('\n');
      },
      approved ? 0 : 3,
    );
  }
}
