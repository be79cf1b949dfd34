import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { finishReview } from '../../review/finish.js';

export default class ReviewFinish extends OpenclawCommand {
  static override summary = 'Record an approved review: advance docs/LAST_REVIEWED_SHA.txt to HEAD in a commit of its own';
  static override description =
    'Uses the stored verdict for <baseline>..HEAD (or --verdict). Refuses (exit 3) simulated verdicts, verdicts without a reviewer version, blocked verdicts, a verdict for another HEAD, and a range that does not start at the current baseline. Only docs/LAST_REVIEWED_SHA.txt is committed, even if other changes are staged.';
  static override examples = ['<%= config.bin %> review finish', '<%= config.bin %> review finish --verdict verdict.json --json'];
  static override flags = {
    repo: Flags.string({ description: 'Repository (any directory inside it).', default: '.', helpValue: 'DIR' }),
    verdict: Flags.string({ description: 'Verdict file (default: the stored verdict for <baseline>..HEAD).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ReviewFinish);
    const r = finishReview({ repo: flags.repo, ...(flags.verdict ? { verdictFile: flags.verdict } : {}) });
    this.output(r, () => `baseline advanced to ${r.reviewed_sha.slice(0, 12)} in commit ${r.commit.slice(0, 12)} (docs/LAST_REVIEWED_SHA.txt)`);
  }
}
