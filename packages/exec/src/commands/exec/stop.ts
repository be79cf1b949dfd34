import { spawnSync } from 'node:child_process';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { stopFallbackWorker, UNIT_NAME, userBus } from '../../ops/service.js';
import { configFlag, execContext } from './_shared.js';

export default class ExecStop extends OpenclawCommand {
  static override summary = 'Stop the exec worker (systemd user unit, or the fallback background worker): running jobs finish or go back to the queue';
  static override examples = ['<%= config.bin %> exec stop', '<%= config.bin %> exec stop --timeout 10 --json'];
  static override flags = {
    ...configFlag,
    timeout: Flags.integer({ description: 'Seconds to wait after SIGTERM before SIGKILL (fallback worker; default 60).', min: 1, helpValue: 'SECONDS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecStop);
    const ctx = await execContext(flags);
    const bus = userBus();
    let systemd: { status: string; detail?: string } = { status: 'blocked', detail: bus.detail };
    if (bus.available) {
      const r = spawnSync('systemctl', ['--user', 'stop', UNIT_NAME], { encoding: 'utf8', timeout: 120_000 });
      systemd = r.status === 0 ? { status: 'ok' } : { status: 'failed', detail: (r.stderr || '').trim() };
    }
    const fb = await stopFallbackWorker(ctx.paths, (flags.timeout ?? 60) * 1000);
    const result = { stop: systemd.status, ...(bus.available ? {} : { reason: 'systemd_user_unavailable' }), detail: systemd.detail, fallback_worker: fb };
    this.output(result, () =>
      [
        bus.available
          ? `stop=${systemd.status} via=systemd unit=${UNIT_NAME}`
          : `stop=blocked reason=systemd_user_unavailable detail=${JSON.stringify(bus.detail)}`,
        `fallback_worker=${fb.result}${fb.pid ? ` pid=${fb.pid}` : ''}`,
      ].join('\n'),
    );
  }
}
