import { DEFAULT_POLICY_PATH, detectSandbox, ExitCode } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { collectHealth, type HealthReport } from '../../ops/health.js';
import { openStore } from '../../store/open.js';
import type { ExecStore } from '../../store/types.js';
import { configFlag, execContext } from './_shared.js';

export default class ExecHealth extends OpenclawCommand {
  static override summary = 'Report the exec plane: kill switch, ledger, model endpoint, store, sandbox, workers';
  static override description =
    'Every value is measured now: the model endpoint (OPENCLAW_MODEL_API_BASE, default http://127.0.0.1:8001/v1) is probed over HTTP with a 2 s timeout unless OPENCLAW_MODEL_STUB=1. Exit 3 when the store cannot be reached.';
  static override examples = ['<%= config.bin %> exec health', '<%= config.bin %> exec health --json', 'OPENCLAW_MODEL_STUB=1 <%= config.bin %> exec health'];
  static override flags = { ...configFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecHealth);
    const ctx = await execContext(flags);
    const cfg = ctx.config.config;
    const location = ctx.target.kind === 'sqlite' ? ctx.target.path : ctx.target.url.replace(/:[^:@/]*@/, ':***@');
    let store: ExecStore | { error: string; kind: string; location: string };
    try {
      store = await openStore(ctx.target);
    } catch (e) {
      store = { error: (e as { reason?: string }).reason ?? (e as Error).message, kind: ctx.target.kind, location };
    }
    let report: HealthReport;
    try {
      report = await collectHealth({
        store,
        modelApiBase: cfg.exec?.model?.apiBase,
        sandbox: detectSandbox(cfg.sandbox?.backend ?? 'bwrap', cfg.tools?.exec?.path ?? DEFAULT_POLICY_PATH),
      });
    } finally {
      if (!('error' in store)) await store.close();
    }
    this.output(report, () => this.render(report), report.store.ok ? ExitCode.ok : ExitCode.checkFailed);
  }

  private render(h: HealthReport): string {
    const c = this.colors;
    const yes = (v: boolean | null, good = true) => (v === null ? c.yellow('unknown') : v === good ? c.green(String(v)) : c.red(String(v)));
    const lines = [
      `store        ${h.store.kind} ${h.store.location} ${h.store.ok ? c.green('ok') : c.red(`UNREACHABLE: ${h.store.detail}`)}`,
      `kill switch  ${h.kill_switch === null ? c.yellow('unknown') : h.kill_switch ? c.red('ON') : 'off'}`,
      `ledger       ${h.ledger_path} — ${h.events ?? 'unknown'} events${h.last_event ? `, last #${h.last_event.seq} ${h.last_event.type} at ${h.last_event.ts}` : ''}`,
      `jobs         ${
        h.jobs
          ? Object.entries(h.jobs)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
          : 'unknown'
      }`,
      `workers      ${h.workers.filter((w) => w.state !== 'stopped' && !w.stale).length} live, ${h.workers.length} known`,
      `sandbox      ${h.sandbox.backend} ${h.sandbox.available ? c.green('available') : c.red('unavailable')} (${h.sandbox.reason})`,
      `model        ${h.model_api_base} stub=${h.model_stub_mode} reachable=${yes(h.model_reachable)} (${h.model_detail})`,
      `summary kill_switch=${h.kill_switch ?? 'unknown'} events=${h.events ?? 'unknown'} model_stub=${h.model_stub_mode} model_reachable=${h.model_reachable ?? 'unknown'}`,
    ];
    return lines.join('\n');
  }
}
