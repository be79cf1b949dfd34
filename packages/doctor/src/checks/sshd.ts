import type { CheckDefinition, CheckStatus } from '../check.js';
import { classifyAddress } from '../ports/address.js';
import { firstLine } from '../probe.js';
import { parseSshdEffective, sshdListenAddresses } from '../sshd-effective.js';

export const sshdConfig: CheckDefinition = {
  id: 'sshd.config',
  title: 'sshd listens only on loopback or the tailnet (sshd -T)',
  severity: 'critical',
  async run(ctx) {
    const sshd = ctx.which('sshd');
    if (!sshd) return { status: 'skip', detail: 'the OpenSSH server (sshd) is not installed' };
    const [t, socket] = await Promise.all([ctx.probe(sshd, ['-T']), ctx.probe('systemctl', ['is-active', 'ssh.socket'])]);
    const socketActive = socket.stdout.trim() === 'active';
    if (!t.ok) {
      const err = firstLine(t.stderr) || t.error || `exit ${t.code}`;
      const evidence = { sshd, error: err };
      if (t.error === 'timeout') return { status: 'unknown', detail: 'sshd -T did not answer in time', evidence };
      if (/Missing privilege separation directory/.test(err))
        return {
          status: 'unknown',
          detail: `sshd -T cannot run: ${err}`,
          remediation: 'sudo mkdir -m 0755 /run/sshd (systemd creates it when ssh.service starts)',
          evidence,
        };
      if (!ctx.isRoot && /host ?key|Permission denied|not owned by root/i.test(t.stderr))
        return { status: 'unknown', detail: `sshd -T needs root to read the host keys (${err})`, remediation: 'sudo openclaw doctor --only sshd', evidence };
      if (/Bad configuration option|bad configuration options|Unsupported option|no argument after keyword|Directive .* is not allowed/i.test(t.stderr))
        return {
          status: 'fail',
          detail: `sshd_config is invalid — sshd will not start: ${err}`,
          remediation: 'sshd -t shows the line; fix it before restarting ssh',
          evidence,
        };
      return { status: 'unknown', detail: `sshd -T failed: ${err}`, evidence };
    }
    const eff = parseSshdEffective(t.stdout);
    const listen = sshdListenAddresses(eff).map((l) => ({ ...l, tier: classifyAddress(l.address, null)?.tier ?? 'public' }));
    const one = (k: string) => eff.get(k)?.[0] ?? null;
    const evidence = {
      sshd,
      listenaddress: listen.map((l) => ({ address: l.text, tier: l.tier })),
      addressfamily: one('addressfamily'),
      ports: eff.get('port') ?? [],
      passwordauthentication: one('passwordauthentication'),
      permitrootlogin: one('permitrootlogin'),
      permitemptypasswords: one('permitemptypasswords'),
      socket_activation: socket.error === 'not_found' ? null : socketActive,
    };
    const findings: Array<{ status: CheckStatus; text: string }> = [];
    const publicListen = listen.filter((l) => l.tier === 'public');
    if (socketActive) findings.push({ status: 'fail', text: 'ssh.socket is active: systemd listens on :22 itself, whatever ListenAddress says' });
    if (publicListen.length) findings.push({ status: 'fail', text: `listens on ${publicListen.map((l) => l.text).join(', ')} (public or every address)` });
    const lan = listen.filter((l) => l.tier === 'lan');
    if (lan.length) findings.push({ status: 'warn', text: `listens on the LAN: ${lan.map((l) => l.text).join(', ')}` });
    if (evidence.permitemptypasswords === 'yes') findings.push({ status: 'fail', text: 'PermitEmptyPasswords yes' });
    if (evidence.passwordauthentication === 'yes') findings.push({ status: 'warn', text: 'PasswordAuthentication yes' });
    if (evidence.permitrootlogin === 'yes') findings.push({ status: 'warn', text: 'PermitRootLogin yes' });
    const status: CheckStatus = findings.some((f) => f.status === 'fail') ? 'fail' : findings.length ? 'warn' : 'pass';
    const listenText = listen.map((l) => l.text).join(', ');
    if (status === 'pass') return { status, detail: `listens on ${listenText} (addressfamily ${evidence.addressfamily})`, evidence };
    const remedies: string[] = [];
    if (socketActive || publicListen.length || lan.length) remedies.push('`openclaw fix-ssh` locks sshd to the Tailscale address');
    if (findings.some((f) => /Password|Root/.test(f.text))) remedies.push('tighten authentication in an sshd_config.d drop-in (fix-ssh never changes auth)');
    return { status, detail: findings.map((f) => f.text).join('; '), remediation: remedies.join('; '), evidence };
  },
};
