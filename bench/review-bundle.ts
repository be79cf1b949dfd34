/**
 * Review-bundle benchmark (SPEC §9): wall time and peak RSS of `openclaw review-bundle` (the built
 * binary, SIZE_CAP packets at 100 KB) on generated ranges, beside `git diff` of the same range with
 * the same arguments (diffArgs, what the command runs) in the same run. Two shapes of diff, as the
 * work differs: "long hunks" (every file's changes make one hunk of ~190 KB, which the hunk splitter
 * cuts) and "small hunks" (~300 hunks of a few lines per file, files cut at hunk boundaries). Long
 * hunks run at three sizes, to show whether RSS grows with the diff (100 MB makes over 999 packets,
 * which are renamed to four digits at the end).
 * Target (SPEC §9): wall ≤ 1.5× git diff at 50 MB, for both shapes; RSS flat as the diff grows. Peak
 * RSS is the child's VmHWM, polled from /proc/<pid>/status. BENCH_QUICK=1 uses small ranges;
 * BENCH_REVIEW_SIZES_MB=25,50,100 picks the long-hunk sizes (the target is read at the middle one,
 * the small-hunk range has that size).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffArgs } from '../packages/review-bundle/src/bundle/start.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin/openclaw');
const quick = process.env.BENCH_QUICK === '1';
const sizesMb = process.env.BENCH_REVIEW_SIZES_MB ? process.env.BENCH_REVIEW_SIZES_MB.split(',').map(Number) : quick ? [2, 4, 8] : [25, 50, 100];
// Five runs: on a shared 2-core machine one run's ratio swings by a quarter either way.
const runs = quick ? 1 : 5;
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', NO_COLOR: '1' };

if (!existsSync(join(root, 'packages/cli/dist/run.js'))) {
  console.log('review-bundle: the CLI is not built (run scripts/setup.sh); skipped');
  process.exit(0);
}

function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

type Shape = 'long hunks' | 'small hunks';

/**
 * A repository whose HEAD~1..HEAD diff is about `mb` MB: files of 3,000 lines, each with 200 lines
 * added at its end and every 4th line changed (its changes merge into one hunk) or every 10th (a
 * hunk each).
 */
function generate(dir: string, mb: number, shape: Shape): { since: string; to: string } {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  const linesPerFile = 3000;
  const every = shape === 'long hunks' ? 4 : 10;
  const files = Math.max(1, Math.round((mb * 1024 * 1024) / (shape === 'long hunks' ? 190_000 : 140_000)));
  const line = (f: number, i: number, v: string) => `  const value_${i} = compute(${i % 97}, "file ${f} ${v}");`;
  for (let f = 0; f < files; f++) {
    const d = join(dir, `src/m${f % 20}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `file${f}.ts`), `${Array.from({ length: linesPerFile }, (_, i) => line(f, i, 'a')).join('\n')}\n`);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', 'since']);
  const since = git(dir, ['rev-parse', 'HEAD']);
  for (let f = 0; f < files; f++) {
    const lines = Array.from({ length: linesPerFile }, (_, i) => line(f, i, i % every === 0 ? 'b' : 'a'));
    for (let i = 0; i < 200; i++) lines.push(line(f, linesPerFile + i, 'new'));
    writeFileSync(join(dir, `src/m${f % 20}`, `file${f}.ts`), `${lines.join('\n')}\n`);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', 'to']);
  return { since, to: git(dir, ['rev-parse', 'HEAD']) };
}

interface Measure {
  ms: number;
  rssKb: number;
  stdoutBytes: number;
}

/** Runs a child, counts its stdout, polls its peak RSS (VmHWM) until it exits. */
function measure(cmd: string, args: string[], cwd: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let rssKb = 0;
    let stdoutBytes = 0;
    let stderr = '';
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) rssKb = Math.max(rssKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    };
    const timer = setInterval(poll, 5);
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      poll();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', () => poll());
    child.on('close', (code) => {
      clearInterval(timer);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, rssKb, stdoutBytes });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const work = mkdtempSync(join(tmpdir(), 'openclaw-bench-rb-'));
const rows: { shape: Shape; mb: number; diffBytes: number; git: Measure; ours: Measure; packets: number; ratios: number[] }[] = [];
const targetMb = sizesMb[Math.floor((sizesMb.length - 1) / 2)] as number;
const cases: [Shape, number][] = [...sizesMb.map((mb): [Shape, number] => ['long hunks', mb]), ['small hunks', targetMb]];
try {
  for (const [shape, mb] of cases) {
    const repo = join(work, `repo-${shape.replace(' ', '-')}-${mb}`);
    const { since, to } = generate(repo, mb, shape);
    const g: Measure[] = [];
    const o: Measure[] = [];
    let packets = 0;
    for (let r = 0; r < runs; r++) {
      // Interleaved, so machine noise hits both alike.
      g.push(await measure('git', diffArgs(since, to), repo));
      const out = join(work, `out-${shape.replace(' ', '-')}-${mb}-${r}`);
      o.push(await measure(bin, ['review-bundle', '--since', since, '--to', to, '--size-cap', '100kb', '--out', out, '--stamp', 'bench', '--json'], repo));
      packets = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8')).size_cap_fallback?.packet_count ?? 0;
      // Outputs stay until the end: deleting a run's hundreds of packet files just before the next
      // run makes that run's file creation pay for them (ext4 without a journal skips inodes freed
      // in the last minutes, one by one), which measures the benchmark's cleanup, not the command.
    }
    const pick = (ms: Measure[]): Measure => ({
      ms: median(ms.map((m) => m.ms)),
      rssKb: Math.max(...ms.map((m) => m.rssKb)),
      stdoutBytes: ms[0]?.stdoutBytes ?? 0,
    });
    const gitM = pick(g);
    // Each run's ratio against the git run just before it: the spread says how much to trust the median.
    const ratios = o.map((m, i) => m.ms / (g[i] as Measure).ms).sort((a, b) => a - b);
    rows.push({ shape, mb, diffBytes: gitM.stdoutBytes, git: gitM, ours: pick(o), packets, ratios });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const fmtMb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(`review-bundle: ${runs} run(s) per size, median wall, peak RSS (VmHWM)${quick ? ' [quick]' : ''}`);
for (const r of rows) {
  console.log(
    `  ${r.shape}, diff ${fmtMb(r.diffBytes)}: openclaw review-bundle ${r.ours.ms.toFixed(0)} ms, ${(r.ours.rssKb / 1024).toFixed(0)} MB RSS, ${r.packets} packets | ` +
      `git diff ${r.git.ms.toFixed(0)} ms, ${(r.git.rssKb / 1024).toFixed(0)} MB RSS | wall ratio ${(r.ours.ms / r.git.ms).toFixed(2)}× (runs ${(r.ratios[0] as number).toFixed(2)}–${(r.ratios.at(-1) as number).toFixed(2)}×)`,
  );
}
const long = rows.filter((r) => r.shape === 'long hunks');
const last = long.at(-1);
const first = long[0];
const atTarget = rows.filter((r) => r.mb === targetMb);
if (last && first) {
  const ratios = atTarget.map((r) => r.ours.ms / r.git.ms);
  const met = ratios.every((x) => x <= 1.5);
  console.log(
    `  wall at ~${targetMb} MB: ${atTarget.map((r, i) => `${(ratios[i] as number).toFixed(2)}× (${r.shape})`).join(', ')} git diff (target ≤ 1.5×): ${met ? 'met' : 'NOT met'}`,
  );
  const rssGrowth = last.ours.rssKb / first.ours.rssKb;
  console.log(
    `  RSS ${(first.ours.rssKb / 1024).toFixed(0)} MB → ${(last.ours.rssKb / 1024).toFixed(0)} MB while the diff grew ${(last.diffBytes / first.diffBytes).toFixed(1)}× (target: flat): ${rssGrowth <= 1.2 ? 'met' : 'NOT met'}`,
  );
}
