/**
 * Sandbox cost (SPEC §5, §9): the time to run one short command (`/bin/true`) through the runner in
 * the bwrap sandbox (namespaces, mounts, secrets hidden, seccomp filter) beside, in the same run, the
 * same command through the runner on the host — the figure is what isolation adds per command. Then
 * one full `sandbox attest` (21 probes). No target in the SPEC; printed for the record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostLauncher } from '../packages/exec/src/runner/host.js';
import { runPlan } from '../packages/exec/src/runner/run-plan.js';
import type { Launcher } from '../packages/exec/src/runner/types.js';
import { runAttestation } from '../packages/exec/src/sandbox/attest.js';
import { sandboxLauncher } from '../packages/exec/src/sandbox/select.js';
import { DEFAULT_POLICY_PATH, detectSandbox } from '../packages/policy/src/index.js';

// Bundled into .bench-out, this file cannot find the probe program beside itself: use the built one.
process.env.OPENCLAW_PROBE_PROGRAM ??= join(process.cwd(), 'packages/cli/dist/sandbox-probe.js');
const quick = process.env.BENCH_QUICK === '1';
const RUNS = quick ? 10 : Number(process.env.BENCH_RUNS ?? 100);
const home = mkdtempSync(join(tmpdir(), 'openclaw-bench-sandbox-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function time(launcher: Launcher): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await runPlan(
      { commands: [{ file: '/bin/true', argv: ['true'] }], cwd: home, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000, maxOutputChars: 1000 },
      launcher,
    );
    if (r.exitCode !== 0) throw new Error(`run failed: ${JSON.stringify(r.evidence[0])}`);
    out.push(performance.now() - t0);
  }
  return out;
}

try {
  const status = detectSandbox('bwrap', DEFAULT_POLICY_PATH);
  const choice = sandboxLauncher({ status, openclawHome: join(home, 'oc'), workspace: home, env: { HOME: home } });
  if (!choice.ok) {
    console.log(`sandbox unavailable here: ${choice.reason.message} — nothing measured`);
  } else {
    await time(choice.launcher); // warm-up (bwrap probe, seccomp file)
    const host = median(await time(hostLauncher));
    const sandboxed = median(await time(choice.launcher));
    console.log(
      `runner, /bin/true × ${RUNS}: bwrap sandbox median ${sandboxed.toFixed(1)} ms; baseline host median ${host.toFixed(1)} ms (isolation adds ≈${(sandboxed - host).toFixed(1)} ms per command)`,
    );
    const t0 = performance.now();
    const b = await runAttestation({
      status,
      openclawHome: join(home, 'oc'),
      outDir: join(home, 'bundle'),
      approvalsSocket: join(home, 'oc/exec-approvals.sock'),
      pathDirs: DEFAULT_POLICY_PATH,
      env: { HOME: home },
    });
    console.log(`sandbox attest: ${b.probes.length} probes, overall ${b.overall}, ${(performance.now() - t0).toFixed(0)} ms wall (no target)`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
