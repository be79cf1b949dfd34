import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { locateApprovals } from '@openclaw/approvals';
import { DEFAULT_POLICY_PATH, detectSandbox, ExitCode } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';
import { type AttestBundle, runAttestation } from '../../sandbox/attest.js';
import { configFlag, execContext } from '../exec/_shared.js';

export default class SandboxAttest extends OpenclawCommand {
  static override summary = 'Prove what the sandbox isolates: run 21 probes inside it and write the evidence bundle (exit 0 only when every probe passed)';
  static override description =
    'Starts the configured sandbox (or --backend) with a probe program inside, after setting traps on the host: a TCP listener on the host loopback with a random token, abstract and path Unix sockets, the approvals socket, a secret canary under $OPENCLAW_HOME, a canary env var, a file in /tmp. Each probe is PASS only when the isolation was observed, FAIL when it was not, NOT_RUN when it could not be tested (never a pass that was not observed). The bundle: attestation.json (venue, runtime, image_digest, seccomp_sha256, overall, probes), probes/<id>.json and raw/{mountinfo.txt, env_keyset.json, proc_net_dev.txt}. No probe sends a packet off this machine. Exit 3 when any probe did not pass.';
  static override examples = [
    '<%= config.bin %> sandbox attest',
    '<%= config.bin %> sandbox attest --out ./attestation --json',
    '<%= config.bin %> sandbox attest --backend docker',
  ];
  static override flags = {
    ...configFlag,
    backend: Flags.option({ options: ['bwrap', 'docker'] as const, description: 'Sandbox backend to attest (default: sandbox.backend, else bwrap).' })(),
    out: Flags.string({ description: 'Directory for the evidence bundle (default: $OPENCLAW_HOME/attestations/<UTC time>).', helpValue: 'DIR' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxAttest);
    const ctx = await execContext(flags);
    const cfg = ctx.config.config;
    const pathDirs = cfg.tools?.exec?.path ?? DEFAULT_POLICY_PATH;
    const backend = flags.backend ?? cfg.sandbox?.backend ?? 'bwrap';
    const location = await locateApprovals({ configFile: flags.config });
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const outDir = flags.out ?? join(ctx.paths.home, 'attestations', stamp);
    this.note(`attesting the ${backend} sandbox; bundle → ${outDir}`);
    const bundle = await runAttestation({
      status: detectSandbox(backend, pathDirs),
      openclawHome: ctx.paths.home,
      outDir,
      approvalsSocket: location.socketPath,
      pathDirs,
      image: cfg.sandbox?.image,
    });
    this.output(bundle, () => this.render(bundle), bundle.overall === 'PASS' ? ExitCode.ok : ExitCode.checkFailed);
  }

  private render(b: AttestBundle): string {
    const c = this.colors;
    const paint = (v: string) => (v === 'PASS' ? c.green(v) : v === 'FAIL' ? c.red(v) : c.yellow(v));
    const width = Math.max(...b.probes.map((p) => p.probe_id.length));
    const lines = [
      `venue     ${b.venue}`,
      `runtime   ${b.runtime}${b.image_digest ? ` image ${b.image_digest}` : ''}`,
      `seccomp   ${b.seccomp_sha256 ?? 'none'}`,
      ...(b.error ? [c.red(`error     ${b.error}`)] : []),
      '',
      ...b.probes.map((p) => `${paint(p.verdict.padEnd(7))} ${p.probe_id.padEnd(width)}  ${p.actual_stderr_or_value.replace(/\s+/g, ' ').slice(0, 110)}`),
      '',
      `bundle    ${b.out_dir}/attestation.json`,
      `overall ${paint(b.overall)} pass=${b.counts.PASS} fail=${b.counts.FAIL} not_run=${b.counts.NOT_RUN}`,
    ];
    return lines.join('\n');
  }
}
