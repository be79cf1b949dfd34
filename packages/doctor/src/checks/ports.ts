import type { CheckDefinition } from '../check.js';
import type { DoctorContext } from '../context.js';
import { auditCapture, describeAudit } from '../ports/audit.js';
import { type Capture, CaptureParseError, parseListeners } from '../ports/parse.js';
import { firstLine } from '../probe.js';

/** The live listener tools, best first: ss shows device bindings and full process names. */
const LIVE = [
  { cmd: 'ss', args: ['-tlnp'] },
  { cmd: 'netstat', args: ['-tlnpW'] },
  { cmd: 'lsof', args: ['+c', '0', '-nP', '-iTCP', '-sTCP:LISTEN'] },
];

async function captureLive(ctx: DoctorContext): Promise<{ source: string; capture: Capture } | { error: string }> {
  const tried: string[] = [];
  for (const tool of LIVE) {
    const r = await ctx.probe(tool.cmd, tool.args);
    const source = `${tool.cmd} ${tool.args.join(' ')}`;
    if (r.error === 'not_found') {
      tried.push(`${tool.cmd} not installed`);
      continue;
    }
    // lsof exits 1 when it finds nothing to list; any other failure (a netstat without -W, say) moves on.
    if (!r.ok && !(tool.cmd === 'lsof' && r.code === 1 && r.stderr.trim() === '')) {
      tried.push(`${source} failed: ${firstLine(r.stderr) || r.error || `exit ${r.code}`}`);
      continue;
    }
    try {
      return { source, capture: parseListeners(r.stdout) };
    } catch (e) {
      if (e instanceof CaptureParseError) return { error: `cannot read the output of ${source}: ${e.message}` };
      throw e;
    }
  }
  return { error: `no listener tool worked: ${tried.join('; ')}` };
}

export const portsPublic: CheckDefinition = {
  id: 'ports.public',
  title: 'no service listens on a public address (tailnet-aware port audit)',
  severity: 'critical',
  async run(ctx) {
    const got = ctx.capture ?? (await captureLive(ctx));
    if ('error' in got)
      return {
        status: 'unknown',
        detail: got.error,
        remediation: 'install iproute2 (ss), or pass a capture with --ss-output FILE',
        evidence: { listeners: [], sshd_public: null },
      };
    const audit = auditCapture(got.capture);
    const { detail, remediation } = describeAudit(audit, { asRoot: ctx.isRoot, live: !ctx.capture });
    return {
      status: audit.status,
      detail,
      remediation,
      evidence: {
        source: got.source,
        formats: audit.formats,
        sshd_public: audit.sshd_public,
        counts: audit.counts,
        listeners: audit.listeners,
        notes: audit.notes,
        skipped: audit.skipped,
      },
    };
  },
};
