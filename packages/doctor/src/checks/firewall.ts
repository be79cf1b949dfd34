import type { CheckDefinition } from '../check.js';
import type { ProbeResult } from '../probe.js';
import { firstLine } from '../probe.js';

export interface FirewallReading {
  tool: 'ufw' | 'nft' | 'iptables';
  /** Inbound traffic is dropped unless a rule allows it. */
  defaultDeny: boolean;
  summary: string;
}

/** `ufw status verbose`: active with `Default: deny (incoming)` (or reject). */
export function readUfw(out: string): FirewallReading | undefined {
  if (!/^Status:\s*active/m.test(out)) return undefined;
  const incoming = out.match(/^Default:\s*(\w+)\s*\(incoming\)/m)?.[1] ?? 'unknown';
  return { tool: 'ufw', defaultDeny: incoming === 'deny' || incoming === 'reject', summary: `ufw active, incoming ${incoming}` };
}

/** `nft list ruleset`: a filter chain on the input hook with policy drop, or ending in drop/reject. */
export function readNft(out: string): FirewallReading | undefined {
  const chains = [...out.matchAll(/chain (\S+) \{([^}]*)\}/g)].filter((m) => /hook input\b/.test(m[2] as string));
  if (!chains.length) return undefined;
  const denies = chains.filter((m) => {
    const body = m[2] as string;
    if (/policy drop;/.test(body)) return true;
    const rules = body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('type ') && !l.startsWith('#'));
    return /(^|\s)(drop|reject)(\s|$|\bwith\b)/.test(rules[rules.length - 1] ?? '');
  });
  return {
    tool: 'nft',
    defaultDeny: denies.length > 0,
    summary: `nftables: ${chains.length} input chain${chains.length === 1 ? '' : 's'}${denies.length ? `, ${denies.map((d) => d[1]).join(', ')} drops by default` : ', all accept by default'}`,
  };
}

/** `iptables -S INPUT`: `-P INPUT DROP`, or a final catch-all DROP/REJECT rule. */
export function readIptables(out: string): FirewallReading | undefined {
  const policy = out.match(/^-P INPUT (\w+)/m)?.[1];
  if (!policy) return undefined;
  const rules = out.split('\n').filter((l) => l.startsWith('-A INPUT'));
  const last = rules[rules.length - 1] ?? '';
  const catchAll = /^-A INPUT -j (DROP|REJECT)\b/.test(last);
  return {
    tool: 'iptables',
    defaultDeny: policy === 'DROP' || catchAll,
    summary: `iptables INPUT policy ${policy}, ${rules.length} rule${rules.length === 1 ? '' : 's'}${catchAll ? ', ending in a catch-all drop' : ''}`,
  };
}

export const firewall: CheckDefinition = {
  id: 'firewall',
  title: 'a firewall drops unsolicited inbound traffic',
  severity: 'medium',
  async run(ctx) {
    if (process.platform !== 'linux') return { status: 'skip', detail: `firewall reading is Linux-only (this is ${process.platform})` };
    const [ufw, nft, ipt] = await Promise.all([
      ctx.probe('ufw', ['status', 'verbose']),
      ctx.probe('nft', ['list', 'ruleset']),
      ctx.probe('iptables', ['-S', 'INPUT']),
    ]);
    const installed = (
      [
        ['ufw', ufw],
        ['nft', nft],
        ['iptables', ipt],
      ] as Array<[string, ProbeResult]>
    ).filter(([, r]) => r.error !== 'not_found');
    const evidence: Record<string, unknown> = { tools: installed.map(([t]) => t) };
    if (!installed.length)
      return {
        status: 'unknown',
        detail: 'no firewall tool (ufw, nft, iptables) is installed, so the inbound rules cannot be read',
        remediation:
          'install one and deny inbound by default, e.g. `sudo apt-get install ufw && sudo ufw default deny incoming && sudo ufw allow in on tailscale0 && sudo ufw enable`',
        evidence,
      };
    const readings = [ufw.ok ? readUfw(ufw.stdout) : undefined, nft.ok ? readNft(nft.stdout) : undefined, ipt.ok ? readIptables(ipt.stdout) : undefined].filter(
      (r): r is FirewallReading => r !== undefined,
    );
    evidence.readings = readings;
    const deny = readings.find((r) => r.defaultDeny);
    if (deny) return { status: 'pass', detail: deny.summary, evidence };
    const unreadable = installed.filter(([, r]) => !r.ok);
    if (!readings.length && unreadable.length) {
      const why = unreadable.map(([t, r]) => `${t}: ${firstLine(r.stderr) || r.error || `exit ${r.code}`}`).join('; ');
      return {
        status: 'unknown',
        detail: `the rules cannot be read${ctx.isRoot ? '' : ' without root'} (${why})`,
        remediation: ctx.isRoot ? null : 'sudo openclaw doctor --only firewall',
        evidence,
      };
    }
    return {
      status: 'warn',
      detail: readings.length ? `inbound is accepted by default (${readings.map((r) => r.summary).join('; ')})` : 'no inbound filtering is configured',
      remediation: 'deny inbound by default and allow the tailnet: `sudo ufw default deny incoming && sudo ufw allow in on tailscale0 && sudo ufw enable`',
      evidence,
    };
  },
};
