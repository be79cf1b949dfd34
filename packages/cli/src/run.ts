/**
 * Entry point of the `openclaw` binary (bundled to dist/run.js; bin/openclaw runs it).
 * Only oclif's core loads here; each command's module is imported when that command runs, using the
 * manifest written at build time for listing and help. @oclif/core is bundled (CommonJS, so its
 * exports arrive as the default export of the dynamic import).
 */
import module from 'node:module';

module.enableCompileCache?.();
// We check the Node version in bin/openclaw; oclif's own check loads semver on every start.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
const imported = await import('@oclif/core');
const oclif = (imported as unknown as { default?: typeof imported }).default ?? imported;
try {
  await oclif.run(process.argv.slice(2), import.meta.url);
  await oclif.flush();
} catch (error) {
  await oclif.handle(error as Error);
}
