import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { renderUnit, selfCommand, UNIT_NAME, unitDir, userBus } from '../../ops/service.js';
import { configFlag, execContext } from './_shared.js';

export default class ExecInstallUnits extends OpenclawCommand {
  static override summary = 'Write the systemd user unit of the exec worker (and reload the user manager when reachable)';
  static override examples = ['<%= config.bin %> exec install-units', '<%= config.bin %> exec install-units --dir /tmp/units --json'];
  static override flags = {
    ...configFlag,
    dir: Flags.string({ description: 'Where to write the unit (default: ~/.config/systemd/user).', helpValue: 'DIR' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExecInstallUnits);
    const ctx = await execContext(flags);
    const dir = flags.dir ? resolve(flags.dir) : unitDir();
    const path = join(dir, UNIT_NAME);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, renderUnit({ command: selfCommand(), openclawHome: ctx.paths.home, config: ctx.config.file }), { mode: 0o644 });
    const bus = userBus();
    let reload: { status: 'ok' | 'blocked' | 'failed'; reason?: string; detail?: string };
    if (!bus.available) reload = { status: 'blocked', reason: 'systemd_user_unavailable', detail: bus.detail };
    else {
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync('systemctl', ['--user', 'daemon-reload'], { encoding: 'utf8', timeout: 10_000 });
      reload = r.status === 0 ? { status: 'ok' } : { status: 'failed', reason: 'daemon_reload_failed', detail: (r.stderr || '').trim() };
    }
    this.output({ install_units: 'ok', unit: UNIT_NAME, path, daemon_reload: reload }, () =>
      [
        `install_units=ok unit=${UNIT_NAME} path=${path}`,
        reload.status === 'ok'
          ? 'daemon_reload=ok — start it with `openclaw exec start`'
          : `daemon_reload=${reload.status} reason=${reload.reason} detail=${JSON.stringify(reload.detail)}`,
      ].join('\n'),
    );
  }
}
