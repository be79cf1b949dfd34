#!/usr/bin/env node
/**
 * Start-up benchmark (SPEC §9): median wall time of `openclaw --version` and
 * `openclaw policy check -- ls` beside `node -e 0` with the same Node, on the same run, interleaved
 * so that machine noise hits all three alike. Target: ≤ 2.5× node -e 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/openclaw');
const runs = Number(process.env.BENCH_RUNS ?? 40);
// A fresh OPENCLAW_HOME and cwd: no config, no approvals file — the state of a new install.
const home = mkdtempSync(join(tmpdir(), 'openclaw-bench-'));
process.on('exit', () => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, OPENCLAW_HOME: home, NO_COLOR: '1' };

const subjects = [
  { name: 'node -e 0 (baseline)', cmd: process.execPath, args: ['-e', '0'] },
  { name: 'openclaw --version', cmd: bin, args: ['--version'] },
  { name: 'openclaw policy check -- ls', cmd: bin, args: ['policy', 'check', '--', 'ls'] },
];

function once(s) {
  const t = process.hrtime.bigint();
  const r = spawnSync(s.cmd, s.args, { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${s.name} exited ${r.status}: ${r.stderr}`);
  return ms;
}

for (const s of subjects) once(s); // warm the compile cache and the page cache
const times = subjects.map(() => []);
for (let i = 0; i < runs; i++) {
  for (const [j, s] of subjects.entries()) times[j].push(once(s));
}
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(a.length / 2)];
};
const base = median(times[0]);
const results = subjects.map((s, j) => ({ name: s.name, median_ms: +median(times[j]).toFixed(1), ratio: +(median(times[j]) / base).toFixed(2) }));
for (const r of results) console.log(`${r.name.padEnd(32)} median ${String(r.median_ms).padStart(6)} ms   ${r.ratio}× baseline`);
const worst = Math.max(...results.slice(1).map((r) => r.ratio));
console.log(`target ≤ 2.5× node -e 0: ${worst <= 2.5 ? 'met' : 'NOT met'} (worst ${worst}×, ${runs} runs each, Node ${process.version})`);
if (process.env.BENCH_JSON) console.log(JSON.stringify({ bench: 'startup', runs, node: process.version, results }));
