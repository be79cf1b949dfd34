import { OpenclawCommand } from '../../cli/command.js';
import { loadPolicy } from '../../load.js';
import { policyFlags, toolParamFlags } from '../_shared.js';

export default class PolicyShow extends OpenclawCommand {
  static override summary = 'Show the effective policy and where each value comes from';
  static override examples = ['<%= config.bin %> policy show', '<%= config.bin %> policy show --agent main --json'];
  static override flags = { ...policyFlags, ...toolParamFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(PolicyShow);
    const { policy, config, approvalsPath } = await loadPolicy({ configFile: flags.config, approvalsFile: flags.approvals });
    const agent = flags.agent ?? null;
    const eff = policy.effective(agent, { host: flags.host, security: flags.security, ask: flags.ask });
    const approvals = policy.approvals;
    const allowlist = approvals.status === 'ok' ? policy.matcherFor(agent).patterns.map((p) => p.source) : [];
    const sandbox = policy.inputs.sandbox;
    const result = {
      ...eff,
      config: { file: config.file ?? null, source: config.source },
      approvals: {
        path: approvalsPath,
        status: approvals.status,
        ...(approvals.status === 'invalid' ? { error: approvals.error } : {}),
        allowlist,
      },
      sandbox,
    };
    this.output(result, () => {
      const c = this.colors;
      const row = (k: string, v: unknown, src: string) => `  ${k.padEnd(15)}${String(v).padEnd(22)}${c.dim(src)}`;
      const lines = [
        `effective policy${agent ? ` for agent ${agent}` : ''}`,
        row('host', eff.host, eff.sources.host),
        row('security', eff.security, eff.sources.security),
        row('ask', eff.ask, eff.sources.ask),
        row('askFallback', eff.askFallback, eff.sources.askFallback),
        row('node', eff.node ?? '-', eff.sources.node),
        row('timeoutSec', eff.timeoutSec, eff.sources.timeoutSec),
        row('maxOutputChars', eff.maxOutputChars, eff.sources.maxOutputChars),
        row('path', eff.path.join(':'), eff.sources.path),
        `config           ${config.file ?? '(none: defaults)'}`,
        `approvals        ${approvalsPath} (${approvals.status})`,
      ];
      if (approvals.status === 'invalid') lines.push(`  ${c.red('error:')} ${approvals.error.reason}`, `  ${c.dim('hint:')} ${approvals.error.hint}`);
      if (allowlist.length) lines.push(`allowlist        ${allowlist.join('\n                 ')}`);
      lines.push(`sandbox          ${sandbox.backend}: ${sandbox.available ? 'available' : 'unavailable'} (${sandbox.reason})`);
      return lines.join('\n');
    });
  }
}
