/**
 * Policy benchmark (SPEC §9): decisions/s for a mixed corpus against a 1,000-pattern allowlist, on
 * one core, beside a naive matcher that compiles every pattern on every call (same run, same
 * corpus, same answers — checked). Target: ≥ 200,000 decisions/s.
 */
import { compilePattern, matchPattern } from '../packages/policy/src/allowlist/pattern.js';
import { analyzeCommand } from '../packages/policy/src/analysis/analyze.js';
import { compilePolicy } from '../packages/policy/src/decide.js';
import { DEFAULT_POLICY_PATH, resolveExecutable } from '../packages/policy/src/executables/resolve.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);

// 1,000 patterns: the real binaries the corpus uses, spread among synthetic ones of every shape.
const real = ['/usr/bin/ls', '/usr/bin/git', '/usr/bin/cat', '/usr/bin/grep', '/usr/bin/head', '/usr/bin/wc', '/usr/bin/echo', '/usr/bin/sort'];
const patterns: string[] = [];
for (let i = 0; patterns.length < 1000; i++) {
  if (i % 125 === 60 && real.length) patterns.push(real.shift() as string);
  else {
    const k = i % 5;
    patterns.push(
      k === 0
        ? `/opt/tool${i}/bin/run`
        : k === 1
          ? `/opt/tool${i}/*/exe`
          : k === 2
            ? `/srv/**/t${i}`
            : k === 3
              ? `~/Projects/p${i}/bin/*`
              : `/usr/local/lib/x${i}?`,
    );
  }
}

const corpus = [
  'ls -la',
  'git status && git diff | head -n 20',
  'cat /etc/hostname | wc -l',
  "bash -c 'ls -la; echo done'",
  'timeout 5 grep -r TODO .',
  'rm -rf /tmp/x',
  'ls $(id)',
  'sudo ls',
  'echo "hello world" && sort x || echo no',
  'python3 -c 1',
  'git log --oneline -n 5',
  'ls > /etc/passwd',
];

const policy = compilePolicy({
  config: { tools: { exec: { host: 'gateway', security: 'allowlist', ask: 'on-miss' } } },
  approvals: { status: 'ok', path: '/bench', file: { version: 1, agents: { '*': { allowlist: patterns.map((pattern) => ({ pattern })) } } } },
  sandbox: { backend: 'bwrap', available: true, reason: 'bench' },
  home: '/home/bench',
});

/** The naive baseline: analyse, resolve, then compile all patterns and scan them, every call. */
function naiveDecide(command: string): 'allow' | 'deny' | 'ask' {
  const a = analyzeCommand({ command });
  if (!a.ok) return 'ask';
  let verdict: 'allow' | 'deny' | 'ask' = 'allow';
  for (const s of a.segments) {
    const name = s.argv[0] as string;
    if (name === 'sudo') return 'deny';
    const r = resolveExecutable(name, '/', DEFAULT_POLICY_PATH);
    if (!r.ok) {
      verdict = 'ask';
      continue;
    }
    const compiled = patterns.map((p, i) => compilePattern(p, '/home/bench', i));
    if (!compiled.some((c) => matchPattern(c, r.realPath))) verdict = 'ask';
  }
  return verdict;
}

// Same answers first: a benchmark of a wrong matcher means nothing.
for (const c of corpus) {
  const ours = policy.decide({ command: c, cwd: '/' }).decision;
  const naive = naiveDecide(c);
  if (ours !== naive && !(ours === 'deny' && naive === 'ask')) throw new Error(`answers differ on ${c}: ${ours} vs ${naive}`);
}

function rate(fn: (c: string) => unknown, budgetMs: number): number {
  let n = 0;
  const end = performance.now() + budgetMs;
  while (performance.now() < end) {
    for (const c of corpus) fn(c);
    n += corpus.length;
  }
  return n / (budgetMs / 1000);
}

rate((c) => policy.decide({ command: c, cwd: '/' }), 300); // warm-up
const ours = rate((c) => policy.decide({ command: c, cwd: '/' }), seconds * 1000);
const naive = rate(naiveDecide, Math.max(500, seconds * 250));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`policy decide (1,000 patterns, ${corpus.length}-command mixed corpus): ${fmt(ours)} decisions/s`);
console.log(`naive compile-per-call matcher (same run):            ${fmt(naive)} decisions/s`);
console.log(`ratio ${(ours / naive).toFixed(1)}×; target ≥ 200,000/s: ${ours >= 200_000 ? 'met' : 'NOT met'} (Node ${process.version}, one core)`);
if (process.env.BENCH_JSON) console.log(JSON.stringify({ bench: 'policy', decisions_per_s: Math.round(ours), naive_per_s: Math.round(naive) }));
