#!/usr/bin/env node
/**
 * Runs every benchmark and prints each figure beside its baseline. BENCH_QUICK=1 shortens them
 * (the test suite runs them that way so they keep working); the figures in issue notes come from
 * full runs: `pnpm bench`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const quick = process.env.BENCH_QUICK === '1';
const env = { ...process.env, ...(quick ? { BENCH_SECONDS: '0.5', BENCH_RUNS: '10' } : {}) };
const only = process.argv.slice(2);
let failed = 0;
for (const file of readdirSync(here).sort()) {
  if (!/\.(ts|mjs)$/.test(file) || file === 'run.mjs') continue;
  const name = file.replace(/\.(ts|mjs)$/, '');
  if (only.length && !only.includes(name)) continue;
  console.log(`\n## bench/${file}`);
  const args = file.endsWith('.ts') ? [join(root, 'scripts/run-ts.mjs'), join(here, file)] : [join(here, file)];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: root });
  if (r.status !== 0) {
    failed++;
    console.log(`bench/${file} failed (exit ${r.status})`);
  }
}
if (!existsSync(join(root, 'packages/cli/dist/run.js'))) console.log('note: the CLI is not built; run scripts/setup.sh for the start-up benchmark');
process.exit(failed ? 1 : 0);
