import { readFileSync } from 'node:fs';
import { Args } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { ExitCode, OpenclawError } from '@openclaw/policy/errors';
import { checkVerdict } from '../../../review/verdict.js';

export default class ReviewVerdictValidate extends OpenclawCommand {
  static override summary = 'Check a verdict file against the verdict JSON Schema (exit 3 when invalid)';
  static override description =
    'The schema is configs/schemas/review-verdict.schema.json (print it with `openclaw review verdict schema`). Validity is about the shape only: the push gate also refuses simulated verdicts, empty reviewer versions and other ranges.';
  static override examples = [
    '<%= config.bin %> review verdict validate verdict.json',
    '<%= config.bin %> review verdict validate .git/openclaw/verdicts/<since>..<to>.json --json',
  ];
  static override args = { file: Args.string({ description: 'Verdict JSON file.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ReviewVerdictValidate);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(args.file, 'utf8'));
    } catch (e) {
      throw new OpenclawError({
        code: 'verdict_unreadable',
        reason: `cannot read ${args.file}: ${(e as Error).message}`,
        hint: 'give the path of a verdict JSON file',
        exitCode: ExitCode.checkFailed,
      });
    }
    const c = checkVerdict(value);
    this.output(
      c.ok
        ? { valid: true, file: args.file, verdict: c.verdict.verdict, simulated: c.verdict.meta.simulated }
        : { valid: false, file: args.file, problems: c.problems },
      () =>
        c.ok
          ? `valid  ${args.file} (${c.verdict.verdict}${c.verdict.meta.simulated ? ', simulated' : ''})`
          : [`invalid  ${args.file}`, ...c.problems.map((p) => `  - ${p}`)].join('\n'),
      c.ok ? ExitCode.ok : ExitCode.checkFailed,
    );
  }
}
