/**
 * Imported first by the review-bundle command, so it runs before the command's own code: before
 * oclif's core initialises and the flags are parsed (in the built CLI, after the shared chunks
 * are evaluated). Boots the packet writer's thread when this run may write packets (not for
 * --help, nor --strict without --force-size-cap). See worker-boot.ts.
 */
import { bootEarly } from './worker-boot.js';

const argv = process.argv.slice(2);
if (argv[0] === 'review-bundle' && !argv.includes('--help') && !argv.includes('-h') && (!argv.includes('--strict') || argv.includes('--force-size-cap'))) {
  bootEarly();
}
