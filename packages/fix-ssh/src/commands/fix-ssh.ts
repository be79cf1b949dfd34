import { Flags } from '@oclif/core';
import { ExitCode, usageError } from '@openclaw/policy';
import { OpenclawCommand } from '@openclaw/policy/cli';

export default class FixSsh extends OpenclawCommand {
  static override summary = "Lock sshd to this host's Tailscale address; every change is backed up, validated and rolled back on failure";
  static override description =
    'Detects the Tailscale IPv4 (or takes --ip), refuses addresses outside 100.64.0.0/10 and userspace networking, disables and masks ssh.socket so ssh.service owns the port, writes a drop-in sshd reads first (AddressFamily inet, ListenAddress <ip>), comments out conflicting ListenAddress/AddressFamily lines, orders ssh.service after tailscaled, validates with sshd -t and sshd -T, restarts and checks with ss that nothing listens on 0.0.0.0, [::] or *. Any failure undoes every change. Authentication settings are never changed.';
  static override examples = [
    '<%= config.bin %> fix-ssh --dry-run',
    'sudo <%= config.bin %> fix-ssh',
    'sudo <%= config.bin %> fix-ssh --ip 100.101.102.103 --json',
    '<%= config.bin %> fix-ssh --test-root /tmp/host-copy --ip 100.101.102.103',
  ];
  static override flags = {
    'test-root': Flags.string({ description: 'Treat DIR as / for every path (no root needed; also OPENCLAW_TEST_ROOT).', helpValue: 'DIR' }),
    'dry-run': Flags.boolean({ description: 'Show the exact changes (unified diffs, systemctl commands) and change nothing.' }),
    ip: Flags.string({ description: 'The Tailscale IPv4 address to listen on (default: `tailscale ip -4`).', helpValue: 'IP' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FixSsh);
    if (flags['test-root'] === '') throw usageError('--test-root needs a directory');
    const { fixSsh, renderFixSsh } = await import('../index.js');
    const result = await fixSsh({
      ...(flags['test-root'] ? { testRoot: flags['test-root'] } : {}),
      dryRun: flags['dry-run'],
      ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
    });
    this.output(result, () => renderFixSsh(result, this.colors), result.ok ? ExitCode.ok : ExitCode.failure);
  }
}
