import { spawnSync } from 'node:child_process';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { selfCommand, startFallbackWorker, UNIT_NAME, userBus } from '../../ops/service.js';
import { configFlag, execContext } from './_shared.js';

export default class ExecStart extends OpenclawCommand {
  static override summary = 'Start the exec worker: the systemd user unit, or a fallback background worker where there is no user bus';
  static override examples = ['<%= config.bin %> exec start', '<%= config.bin %> exec start --json'];
  static override flags = { ...configFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecStart);
    const ctx = await execContext(flags);
    const bus = userBus();
    if (bus.available) {
      const r = spawnSync('systemctl', ['--user', 'start', UNIT_NAME], { encoding: 'utf8', timeout: 30_000 });
      if (r.status === 0) {
        this.output({ start: 'ok', via: 'systemd', unit: UNIT_NAME }, () => `start=ok via=systemd unit=${UNIT_NAME}`);
        return;
      }
      this.note(`start=failed via=systemd detail=${JSON.stringify((r.stderr || '').trim())} (run \`openclaw exec install-units\` first)`);
    }
    const reason = bus.available ? 'systemd_start_failed' : 'systemd_user_unavailable';
    // The worker runs from $OPENCLAW_HOME: the config found here must travel with it.
    const env = ctx.config.file
      ? { ...process.env, OPENCLAW_CONFIG: ctx.config.file, OPENCLAW_HOME: ctx.paths.home }
      : { ...process.env, OPENCLAW_HOME: ctx.paths.home };
    const fb = startFallbackWorker(ctx.paths, selfCommand(), env);
    const result = {
      start: 'blocked',
      reason,
      detail: bus.detail,
      fallback_worker: { status: fb.already ? 'already_running' : 'started', pid: fb.pid, log: fb.log, pid_file: ctx.paths.workerPidFile },
    };
    this.output(result, () =>
      [
        `start=blocked reason=${reason} detail=${JSON.stringify(bus.detail)}`,
        `fallback_worker=${fb.already ? 'already_running' : 'started'} pid=${fb.pid} log=${fb.log} pid_file=${ctx.paths.workerPidFile}`,
      ].join('\n'),
    );
  }
}
