import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { ExitCode, usageError } from '@openclaw/policy/errors';
import { checkPush, parsePrePushInput } from '../../review/gate.js';

export default class ReviewGate extends OpenclawCommand {
  static override summary = 'Pre-push gate: refuse the push unless a real review approved exactly the pushed range (exit 3)';
  static override description =
    'Reads the pre-push lines git writes on stdin (`<local ref> <local sha> <remote ref> <remote sha>`). Each pushed range (what the remote has .. what is pushed) needs a stored verdict from `openclaw review run` that is APPROVED, not simulated, with a reviewer version, for exactly that range; the only change tolerated after the reviewed commit is the docs/LAST_REVIEWED_SHA.txt advance from `openclaw review finish`. Installed by `openclaw hooks install`.';
  static override examples = [
    'echo "refs/heads/main $(git rev-parse HEAD) refs/heads/main $(git rev-parse origin/main)" | <%= config.bin %> review gate --remote origin',
    '<%= config.bin %> review gate --remote origin --verdict verdict.json < pushed-refs.txt',
  ];
  static override flags = {
    repo: Flags.string({ description: 'Repository (any directory inside it).', default: '.', helpValue: 'DIR' }),
    remote: Flags.string({ description: 'Remote name (git passes it to the hook as $1).', helpValue: 'NAME' }),
    verdict: Flags.string({ description: 'Check this verdict file instead of the verdict store.', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ReviewGate);
    if (process.stdin.isTTY)
      throw usageError(
        'review gate reads the refs being pushed on stdin, as git passes them to a pre-push hook',
        'install it with `openclaw hooks install`, or pipe "<local ref> <local sha> <remote ref> <remote sha>" lines into it',
      );
    let updates: ReturnType<typeof parsePrePushInput>;
    try {
      updates = parsePrePushInput(readFileSync(0, 'utf8'));
    } catch (e) {
      throw usageError((e as Error).message, 'git passes "<local ref> <local sha> <remote ref> <remote sha>" lines');
    }
    const r = checkPush({
      repo: flags.repo,
      updates,
      ...(flags.remote ? { remote: flags.remote } : {}),
      ...(flags.verdict ? { verdictFile: flags.verdict } : {}),
    });
    this.output(
      r,
      () => {
        const c = this.colors;
        if (!r.updates.length) return 'review gate: nothing is pushed';
        return r.updates
          .map((u) =>
            [
              `${u.ok ? c.green('pass') : c.red('REFUSED')}  ${u.local_ref} → ${u.remote_ref}${u.range ? `  (${u.range.since.slice(0, 12)}..${u.range.to.slice(0, 12)})` : ''}`,
              `  ${u.reason}`,
              ...(u.ok || !u.hint ? [] : [`  hint: ${u.hint}`]),
            ].join('\n'),
          )
          .join('\n');
      },
      r.ok ? ExitCode.ok : ExitCode.checkFailed,
    );
  }

  protected override output(result: unknown, human: () => string, exitCode?: number): void {
    // git shows a hook's stderr; a refusal explains itself there as well as on stdout.
    if (exitCode === ExitCode.checkFailed && !this.wantsJson) process.stderr.write('pre-push: the push is refused by the openclaw review gate\n');
    super.output(result, human, exitCode);
  }
}
