/**
 * The programs fix-ssh drives — systemctl, tailscale, sshd, ss, ip — are called by bare name through
 * PATH, so stub binaries stand in for them in tests. With a test root they see it in
 * OPENCLAW_TEST_ROOT. Every call is recorded for the report.
 */
import { type ProbeResult, probe } from '@openclaw/doctor';

export interface HelperCall {
  argv: string[];
  code: number | null;
  error?: string;
}

export class Helpers {
  readonly calls: HelperCall[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<ProbeResult> {
    const r = await probe(cmd, args, { env: this.env, timeoutMs });
    this.calls.push({ argv: [cmd, ...args], code: r.code, ...(r.error ? { error: r.error } : {}) });
    return r;
  }
}

/** `cmd args…: what went wrong` in one line. */
export function describeFailure(cmd: string, args: readonly string[], r: ProbeResult): string {
  const what = r.error === 'not_found' ? 'not found on PATH' : r.error === 'timeout' ? 'timed out' : `exit ${r.code}`;
  const msg = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return `\`${[cmd, ...args].join(' ')}\` failed (${what})${msg ? `: ${msg}` : ''}`;
}
