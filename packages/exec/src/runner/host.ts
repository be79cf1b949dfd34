/** The host launcher: the decided executable, as is, with argv[0] kept through spawn's `argv0`. */
import type { Launcher } from './types.js';

export const hostLauncher: Launcher = {
  name: 'host',
  launch: (cmd, ctx) => ({ file: cmd.file, args: cmd.argv.slice(1), argv0: cmd.argv[0] ?? cmd.file, cwd: ctx.cwd, env: ctx.env }),
};
