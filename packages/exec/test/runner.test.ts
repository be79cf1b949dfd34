/** The runner with real processes: operators, real pipes, timeouts, caps, argv[0], env, leftovers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPlan } from '../src/runner/run-plan.js';
import type { PlannedCommand, RunPlan } from '../src/runner/types.js';

const SH = '/bin/sh';
/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const sh = (script: string, op?: PlannedCommand['op']): PlannedCommand => ({ file: SH, argv: ['sh', '-c', script], op });
const plan = (commands: PlannedCommand[], extra: Partial<RunPlan> = {}): RunPlan => ({
  commands,
  cwd: '/',
  env: { PATH: '/usr/bin:/bin' },
  timeoutMs: 20_000,
  maxOutputChars: 200_000,
  ...extra,
});

describe('runner: operators run like POSIX sh', () => {
  const table: [string, PlannedCommand[], string[], number][] = [
    ['a && b: both when a succeeds', [sh('echo a', '&&'), sh('echo b')], ['a', 'b'], 0],
    ['a && b: b skipped when a fails', [sh('echo a; exit 3', '&&'), sh('echo b')], ['a'], 3],
    ['a || b: b skipped when a succeeds', [sh('echo a', '||'), sh('echo b')], ['a'], 0],
    ['a || b: b when a fails', [sh('exit 1', '||'), sh('echo b')], ['', 'b'], 0],
    ['a ; b: always both, status of b', [sh('exit 4', ';'), sh('echo b; exit 5')], ['', 'b'], 5],
    ['false && x || y: y runs', [sh('exit 1', '&&'), sh('echo x', '||'), sh('echo y')], ['', 'y'], 0],
    ['true || x && y: y runs', [sh('true', '||'), sh('echo x', '&&'), sh('echo y')], ['', 'y'], 0],
    ['a | b: status of the last member', [sh('echo hi; exit 7', '|'), sh('cat')], ['', 'hi'], 0],
    ['a | b && c', [sh('printf "1\\n2\\n3\\n"', '|'), { file: '/usr/bin/wc', argv: ['wc', '-l'], op: '&&' }, sh('echo done')], ['', '3', 'done'], 0],
  ];
  it.each(table)('%s', async (_name, commands, stdouts, code) => {
    const r = await runPlan(plan(commands));
    expect(r.evidence.map((e) => e.stdout.trim())).toEqual(stdouts);
    expect(r.exitCode).toBe(code);
    expect(r.timedOut).toBe(false);
  });
});

describe('runner: processes', () => {
  it('records the full evidence of a command', async () => {
    const r = await runPlan(plan([sh('echo out; echo err >&2; exit 2')]));
    expect(r.evidence).toEqual([
      {
        argv: ['sh', '-c', 'echo out; echo err >&2; exit 2'],
        file: SH,
        piped: false,
        returncode: 2,
        timed_out: false,
        duration_ms: expect.any(Number),
        stdout: 'out\n',
        stderr: 'err\n',
        stdout_bytes: 4,
        stderr_bytes: 4,
        stdout_truncated: false,
        stderr_truncated: false,
        signal: null,
      },
    ]);
  });

  it('keeps argv[0] as written while executing the decided file', async () => {
    const r = await runPlan(plan([{ file: SH, argv: ['not-a-real-name', '-c', 'echo "$0"'] }]));
    expect(r.evidence[0]?.stdout).toBe('not-a-real-name\n');
  });

  it('connects pipeline members with one real pipe (a FIFO), not through the parent', async () => {
    // find reports the file type (p = pipe) and inode of its own fd 1 / fd 0.
    const fd = (n: number, op?: PlannedCommand['op']): PlannedCommand => ({
      file: '/usr/bin/find',
      argv: ['find', '-L', `/proc/self/fd/${n}`, '-maxdepth', '0', '-fprintf', '/dev/stderr', '%y %i\\n'],
      op,
    });
    const r = await runPlan(plan([fd(1, '|'), fd(0)]));
    const [up, down] = r.evidence;
    expect(up?.stderr).toMatch(/^p \d+\n$/);
    expect(down?.stderr).toBe(up?.stderr);
    expect(up?.piped).toBe(true);
    expect(down?.piped).toBe(false);
  });

  it('a reader that exits early ends the writer with SIGPIPE (yes | head -n 1)', async () => {
    const r = await runPlan(
      plan([
        { file: '/usr/bin/yes', argv: ['yes'], op: '|' },
        { file: '/usr/bin/head', argv: ['head', '-n', '1'] },
      ]),
    );
    expect(r.timedOut).toBe(false);
    expect(r.evidence[0]?.signal).toBe('SIGPIPE');
    expect(r.evidence[1]?.stdout).toBe('y\n');
    expect(r.exitCode).toBe(0);
  });

  it('a timeout sends TERM: timed_out, exit 124, the rest not run', async () => {
    const r = await runPlan(plan([{ file: '/bin/sleep', argv: ['sleep', '30'], op: ';' }, sh('echo never')], { timeoutMs: 300 }));
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(124);
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0]).toMatchObject({ timed_out: true, signal: 'SIGTERM', returncode: 143 });
  });

  it('a command that ignores TERM is killed after the grace period', async () => {
    const r = await runPlan(plan([sh('trap "" TERM; exec sleep 30')], { timeoutMs: 200, killGraceMs: 200 }));
    expect(r.evidence[0]).toMatchObject({ timed_out: true, signal: 'SIGKILL', returncode: 137 });
  });

  it('what a command leaves running in the background is killed when it exits', async () => {
    const r = await runPlan(plan([sh('sleep 30 & echo $!')]));
    const pid = Number(r.evidence[0]?.stdout.trim());
    expect(pid).toBeGreaterThan(1);
    // SIGKILL was sent before the run returned; give the kernel a moment to finish the exit.
    for (let i = 0; i < 100 && running(pid); i++) await new Promise((res) => setTimeout(res, 20));
    expect(running(pid)).toBe(false);
  });

  it('caps output across commands, counting every byte', async () => {
    const r = await runPlan(plan([sh('head -c 5000 /dev/zero | tr "\\0" a', ';'), sh('echo tail-text')], { maxOutputChars: 1000 }));
    const [a, b] = r.evidence;
    expect(a?.stdout_bytes).toBe(5000);
    expect(a?.stdout_truncated).toBe(true);
    expect(a?.stdout).toBe(`${'a'.repeat(1000)}\n… (truncated)`);
    expect(b?.stdout_bytes).toBe(10);
    expect(b?.stdout_truncated).toBe(true);
  });

  it('a pipeline’s members share the cap', async () => {
    const r = await runPlan(
      plan([sh('head -c 3000 /dev/zero | tr "\\0" e >&2; echo x', '|'), sh('cat; head -c 3000 /dev/zero | tr "\\0" o')], { maxOutputChars: 2000 }),
    );
    const kept = r.evidence.reduce((n, e) => n + e.stdout.replace('\n… (truncated)', '').length + e.stderr.replace('\n… (truncated)', '').length, 0);
    expect(kept).toBe(2000);
    expect(r.evidence[1]?.stdout.startsWith('x\noo')).toBe(true);
  });

  it('tells the output as it arrives, before the command ends', async () => {
    const told: [string, string, number][] = [];
    const t0 = performance.now();
    const r = await runPlan(
      plan([sh('echo early; echo err >&2; sleep 0.6; echo late')], { onOutput: (s, text) => told.push([s, text, performance.now() - t0]) }),
    );
    expect(told.map(([s, t]) => [s, t])).toEqual([
      ['stdout', 'early\n'],
      ['stderr', 'err\n'],
      ['stdout', 'late\n'],
    ]);
    // "early" was told while the command still slept: well before it ended.
    expect(told[0]?.[2]).toBeLessThan((r.evidence[0]?.duration_ms ?? 0) - 300);
  });

  it('tells only what the cap allows, across commands, and only the pipeline’s own stdout', async () => {
    let told = '';
    const r = await runPlan(
      plan([sh('echo piped-away', '|'), sh('cat >/dev/null; head -c 5000 /dev/zero | tr "\\0" a', ';'), sh('echo more')], {
        maxOutputChars: 1000,
        onOutput: (_s, t) => (told += t),
      }),
    );
    expect(told).toBe('a'.repeat(1000));
    expect(r.evidence[1]?.stdout_truncated).toBe(true);
  });

  it('tells a multi-byte character whole when the pipe splits it between two writes', async () => {
    let told = '';
    await runPlan(plan([sh("printf '\\342\\202'; sleep 0.2; printf '\\254 ok'")], { onOutput: (_s, t) => (told += t) }));
    expect(told).toBe('€ ok');
  });

  it('the child gets exactly the plan’s env', async () => {
    process.env.OPENCLAW_TEST_PARENT_SECRET = 'hunter2';
    try {
      const r = await runPlan(plan([{ file: '/usr/bin/env', argv: ['env'] }], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } }));
      expect(r.evidence[0]?.stdout.trim().split('\n').sort()).toEqual(['LANG=C.UTF-8', 'PATH=/usr/bin:/bin']);
    } finally {
      delete process.env.OPENCLAW_TEST_PARENT_SECRET;
    }
  });

  it('runs in the plan’s cwd', async () => {
    const r = await runPlan(plan([{ file: '/bin/pwd', argv: ['pwd'] }], { cwd: '/usr' }));
    expect(r.evidence[0]?.stdout).toBe('/usr\n');
  });

  it('an executable that vanished is 127 with the error, and the list goes on by its operators', async () => {
    const r = await runPlan(plan([{ file: '/nonexistent/bin/x', argv: ['x'], op: '||' }, sh('echo fallback')]));
    expect(r.evidence[0]).toMatchObject({ returncode: 127, error: expect.stringMatching(/^ENOENT/) });
    expect(r.evidence[1]?.stdout).toBe('fallback\n');
  });

  it('an abort stops the run without calling it a timeout', async () => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 150);
    const r = await runPlan(plan([{ file: '/bin/sleep', argv: ['sleep', '30'] }], { signal: ctrl.signal }));
    expect(r.aborted).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.evidence[0]?.signal).toBe('SIGTERM');
  });
});
