import { Flags } from '@oclif/core';
import { OpenclawCommand } from '../../cli/command.js';
import type { Decision } from '../../decide.js';
import { ExitCode, usageError } from '../../errors.js';
import { loadPolicy } from '../../load.js';
import { policyFlags, toolParamFlags } from '../_shared.js';

const EXIT: Record<Decision['decision'], number> = { allow: ExitCode.ok, deny: ExitCode.denied, ask: ExitCode.askHuman };

export default class PolicyCheck extends OpenclawCommand {
  static override summary = 'Decide whether a command may run: allow (exit 0), deny (77) or ask a human (4)';
  static override description =
    'Analyses the command, resolves its executables through the policy PATH and applies the effective policy (config, then the stricter approvals file). Nothing is executed.';
  static override examples = [
    '<%= config.bin %> policy check -- ls -la',
    `<%= config.bin %> policy check --host gateway --agent main --command 'git status && git diff | head'`,
    '<%= config.bin %> policy check --json -- rm -rf /tmp/x',
  ];
  static override strict = false;
  static override flags = {
    ...policyFlags,
    ...toolParamFlags,
    cwd: Flags.string({ description: 'Working directory the command would run in (default: the current one).', helpValue: 'DIR' }),
    command: Flags.string({ char: 'c', description: 'The command as one shell-like string (analysed by the grammar).', helpValue: 'STRING' }),
    env: Flags.string({ description: 'KEY=VALUE the request would set (repeatable).', multiple: true, helpValue: 'KEY=VALUE' }),
    unattended: Flags.boolean({ description: 'Decide as if no human can be reached: an ask becomes what askFallback says.' }),
  };
  static override usage = ['policy check [FLAGS] (--command STRING | -- ARGV...)'];

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(PolicyCheck);
    const rawArgv = argv as string[];
    const dashdash = this.argv.includes('--');
    if (flags.command !== undefined && rawArgv.length > 0) throw usageError('give either --command or an argv after `--`, not both');
    if (flags.command === undefined && rawArgv.length === 0)
      throw usageError('no command to check', 'openclaw policy check -- ls -la   or   openclaw policy check --command "ls -la"');
    if (rawArgv.length > 0 && !dashdash)
      throw usageError('put the command after `--` so its options are not read as openclaw flags', `openclaw policy check -- ${rawArgv.join(' ')}`);
    const env: Record<string, string> = {};
    for (const kv of flags.env ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usageError(`--env ${kv}: expected KEY=VALUE`);
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const { policy, config, approvalsPath } = await loadPolicy({ configFile: flags.config, approvalsFile: flags.approvals });
    const cwd = flags.cwd ?? process.cwd();
    const decision = policy.decide({
      ...(flags.command !== undefined ? { command: flags.command } : { argv: rawArgv }),
      cwd,
      agentId: flags.agent ?? null,
      host: flags.host,
      security: flags.security,
      ask: flags.ask,
      env,
      ...(flags.unattended ? { humanReachable: false } : {}),
    });
    const { childEnv: _env, timeoutSec: _t, maxOutputChars: _m, ...shown } = decision;
    const json = {
      ...shown,
      segments: decision.segments.map((s) => ({
        argv: s.argv,
        resolvedPath: s.resolvedPath,
        realPath: s.realPath,
        matchedPattern: s.matchedPattern,
        execArgv: s.execArgv,
        wrappers: s.wrappers,
        op: s.op,
      })),
      config: config.file ?? null,
      approvals: { path: approvalsPath, status: policy.approvals.status },
    };
    this.output(json, () => this.render(decision, flags.command ?? rawArgv.join(' ')), EXIT[decision.decision]);
  }

  private render(d: Decision, text: string): string {
    const c = this.colors;
    const head = d.decision === 'allow' ? c.green.bold('ALLOW') : d.decision === 'deny' ? c.red.bold('DENY') : c.yellow.bold('ASK');
    const lines = [`${head}  ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`];
    for (const r of d.reasons) {
      lines.push(`  ${c.dim('·')} ${r.message}`);
      if (r.hint && d.decision !== 'allow') lines.push(`    ${c.dim('hint:')} ${r.hint}`);
    }
    if (d.fallback) lines.push(`  ${c.dim('·')} without a human: ${d.fallback.decision} (${d.fallback.reasons.map((r) => r.message).join('; ')})`);
    for (const s of d.segments) {
      if (s.realPath) lines.push(`  ${c.dim('segment')} ${s.argv[0]} → ${s.realPath}${s.matchedPattern ? ` ${c.dim('matches')} ${s.matchedPattern}` : ''}`);
    }
    lines.push(
      c.dim(
        `  host=${d.host} (${d.sources.host})  security=${d.security} (${d.sources.security})  ask=${d.ask} (${d.sources.ask})  askFallback=${d.askFallback} (${d.sources.askFallback})`,
      ),
    );
    return lines.join('\n');
  }
}
