import { Args, Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { configFlag, execContext, withStore } from './_shared.js';

export default class ExecKillSwitch extends OpenclawCommand {
  static override summary = 'Turn the kill switch on (no job is claimed, no `exec run` runs) or off, or show it';
  static override description =
    'The switch lives in the store, so it reaches every worker on every host sharing it: each claim checks it in the same transaction. Jobs already running finish. Each change is recorded in the ledger.';
  static override examples = [
    '<%= config.bin %> exec kill-switch on --reason "incident 42"',
    '<%= config.bin %> exec kill-switch off',
    '<%= config.bin %> exec kill-switch status --json',
  ];
  static override args = { action: Args.string({ description: 'on, off or status.', options: ['on', 'off', 'status'], default: 'status', ignoreStdin: true }) };
  static override flags = { ...configFlag, reason: Flags.string({ description: 'Why (recorded in the ledger).' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ExecKillSwitch);
    const ctx = await execContext(flags);
    const state = await withStore(ctx, (s) =>
      args.action === 'status' ? s.killSwitch() : s.setKillSwitch(args.action === 'on', ctx.actor, flags.reason ?? null),
    );
    this.output(
      { kill_switch: state },
      () =>
        `kill_switch=${state.on ? 'on' : 'off'}${state.reason ? ` reason=${JSON.stringify(state.reason)}` : ''}${state.by ? ` by=${state.by}` : ''}${state.updatedAt ? ` since=${state.updatedAt}` : ''}`,
    );
  }
}
