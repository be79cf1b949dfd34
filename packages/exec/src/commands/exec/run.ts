import { Flags } from '@oclif/core';
import { ASK_MODES, ExitCode, HOSTS, loadPolicy, SECURITY_MODES, usageError } from '@openclaw/policy';
import { colorsFor, OpenclawCommand } from '@openclaw/policy/cli';
import { endpointApprover } from '../../run/endpoint-approver.js';
import { governedRun, type RunOutcome } from '../../run/governed-run.js';
import { configFlag, execContext, keyValues, withStore } from './_shared.js';

export default class ExecRun extends OpenclawCommand {
  static override summary = 'Run a command under policy: decide, ask or fall back, run, record; exit with its code (77 denied, 124 timeout)';
  static override description =
    'The governed one-shot exec for agents. The command runs as argv — a --command string only when the policy core can split it into plain commands joined by && || ; |, which the runner then executes itself with real pipes. Children get a minimal env, a checked cwd, the policy timeout (TERM then KILL) and output caps. Host sandbox runs inside bubblewrap. Every run is recorded in the ledger (exec.started/finished, or exec.denied).';
  static override examples = [
    '<%= config.bin %> exec run -- ls -la',
    `<%= config.bin %> exec run --host gateway --agent main --command 'git status && git diff | head -n 50'`,
    '<%= config.bin %> exec run --timeout 30 --json -- make test',
  ];
  static override strict = false;
  static override flags = {
    ...configFlag,
    approvals: Flags.string({ description: 'Approvals file (default: $OPENCLAW_HOME/exec-approvals.json).', helpValue: 'FILE' }),
    agent: Flags.string({ description: 'Agent id whose overrides and allowlist apply.', helpValue: 'ID' }),
    host: Flags.option({ options: HOSTS, description: 'Where the command runs: sandbox (bubblewrap), gateway (this host), node.' })(),
    security: Flags.option({ options: SECURITY_MODES, description: 'Security mode (the approvals file can only make it stricter).' })(),
    ask: Flags.option({ options: ASK_MODES, description: 'Ask mode.' })(),
    cwd: Flags.string({ description: 'Working directory (default: the current one); must exist.', helpValue: 'DIR' }),
    timeout: Flags.integer({ description: 'Seconds before TERM then KILL; can only lower the policy timeout.', min: 1, helpValue: 'SECONDS' }),
    command: Flags.string({
      char: 'c',
      description: 'The command as one shell-like string (analysed; never given to a shell unless security is full).',
      helpValue: 'STRING',
    }),
    env: Flags.string({ description: 'KEY=VALUE for the child (repeatable; refused keys deny).', multiple: true, helpValue: 'KEY=VALUE' }),
  };
  static override usage = ['exec run [FLAGS] (--command STRING | -- ARGV...)'];

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(ExecRun);
    const rawArgv = argv as string[];
    if (flags.command !== undefined && rawArgv.length > 0) throw usageError('give either --command or an argv after `--`, not both');
    if (flags.command === undefined && rawArgv.length === 0)
      throw usageError('no command to run', 'openclaw exec run -- ls -la   or   openclaw exec run --command "ls -la"');
    if (rawArgv.length > 0 && !this.argv.includes('--'))
      throw usageError('put the command after `--` so its options are not read as openclaw flags', `openclaw exec run -- ${rawArgv.join(' ')}`);
    const ctx = await execContext(flags);
    const { policy, config } = await loadPolicy({ configFile: flags.config, approvalsFile: flags.approvals });
    // Nothing runs that cannot be recorded: a store that cannot be opened is a deny.
    const out = await withStore(
      ctx,
      (store) =>
        governedRun(
          {
            ...(flags.command !== undefined ? { command: flags.command } : { argv: rawArgv }),
            cwd: flags.cwd ?? process.cwd(),
            agentId: flags.agent ?? null,
            host: flags.host,
            security: flags.security,
            ask: flags.ask,
            env: keyValues(flags.env, 'env'),
            timeoutSec: flags.timeout,
          },
          {
            policy,
            store,
            actor: ctx.actor,
            // A human through the approvals endpoint when it answers; else askFallback decides.
            approver: endpointApprover({ configFile: flags.config, approvalsFile: flags.approvals }),
            onPending: (token) =>
              this.note(`waiting for a human: openclaw approvals approve ${token}   (or: openclaw approvals deny ${token}; openclaw approvals watch)`),
            // Printed as it arrives (within the output cap); --json waits for the evidence instead.
            ...(this.wantsJson ? {} : { onOutput: (stream: 'stdout' | 'stderr', text: string) => void process[stream].write(text) }),
            openclawHome: ctx.paths.home,
            sandboxWorkspace: config.config.sandbox?.workspace,
            sandboxImage: config.config.sandbox?.image,
          },
        ),
      { unavailableExitCode: ExitCode.denied },
    );
    if (this.wantsJson) {
      this.output(out, () => '', out.exitCode);
      return;
    }
    this.print(out);
    process.exitCode = out.exitCode;
  }

  /** The child's output was printed as it arrived; what is left is what openclaw has to say, on stderr. */
  private print(out: RunOutcome): void {
    if (out.decision === 'deny') {
      const c = colorsFor(process.stderr, false);
      this.note(`${c.red('denied:')} ${out.reasons.map((r) => r.message).join('; ')}`);
      const hint = out.reasons.find((r) => r.hint)?.hint;
      if (hint) this.note(`hint: ${hint}`);
      return;
    }
    for (const e of out.evidence) if (e.error) this.note(`openclaw: ${e.argv[0]}: ${e.error}`);
    if (out.evidence.some((e) => e.stdout_truncated || e.stderr_truncated))
      this.note('openclaw: output over the output cap was neither printed nor kept (the cap is tools.exec.maxOutputChars)');
    if (out.timedOut) this.note(`openclaw: timed out; stopped with SIGTERM (then SIGKILL) — exit ${ExitCode.timedOut}`);
  }
}
