/**
 * Entry point of the `openclaw` binary (bundled to dist/run.js; bin/openclaw runs it).
 *
 * Start-up is on an agent's hot path (SPEC §9), so three things keep it short:
 *  - oclif's core is bundled and its internal requires made lazy (scripts/build.mjs);
 *  - `--version` is answered without loading oclif;
 *  - the commands agents call on every step (`openclaw.fastCommands` in package.json) run without
 *    oclif's full configuration load: the command class is constructed with a light config and run
 *    as oclif would run it (same parser, same flags, same errors). Help and everything else go
 *    through oclif. OPENCLAW_NO_FAST_PATH=1 turns the fast path off (the e2e tests compare both).
 */
import { enablePrivateCompileCache } from './compile-cache.js';
import { createLightConfig, FAST_COMMANDS, type FastCommandClass, findFastCommand, USER_AGENT } from './fast-path.js';

const nodeModule = process.getBuiltinModule('node:module');
if (nodeModule.enableCompileCache) enablePrivateCompileCache(nodeModule.enableCompileCache);
// We check the Node version in bin/openclaw; oclif's own check loads semver on every start.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
// A reader that goes away (`openclaw … | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const argv = process.argv.slice(2);
const fast = process.env.OPENCLAW_NO_FAST_PATH === '1' ? undefined : findFastCommand(argv, FAST_COMMANDS);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${USER_AGENT}\n`);
} else if (fast) {
  const { default: Command } = (await import(new URL(fast.module, import.meta.url).href)) as { default: FastCommandClass };
  Command.id = fast.id;
  await new Command(fast.argv, createLightConfig(Command as FastCommandClass & { id: string }))._run();
} else {
  const imported = await import('@oclif/core');
  const oclif = (imported as unknown as { default?: typeof imported }).default ?? imported;
  try {
    await oclif.run(argv, import.meta.url);
  } catch (error) {
    await oclif.handle(error as Error);
  }
}
