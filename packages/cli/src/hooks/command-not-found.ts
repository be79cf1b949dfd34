import type { Hook } from '@oclif/core';

/** Unknown command: one line, a hint, exit 2 (usage error). */
const hook: Hook.CommandNotFound = async (opts) => {
  const spaced = opts.id.replaceAll(':', ' ');
  process.stderr.write(`error: unknown command \`openclaw ${spaced}\`\nhint: run \`openclaw --help\` for the list of commands\n`);
  process.exit(2);
};
export default hook;
