import type { CheckDefinition } from '../check.js';

declare const __OPENCLAW_VERSION__: string;
const VERSION = typeof __OPENCLAW_VERSION__ === 'string' ? __OPENCLAW_VERSION__ : '0.0.0-dev';
const NODE_MIN: [number, number] = [22, 13];

export const runtimeVersions: CheckDefinition = {
  id: 'runtime.versions',
  title: 'Node.js, openclaw and git versions',
  severity: 'high',
  async run(ctx) {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const nodeOk = major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1]);
    const git = await ctx.probe('git', ['--version']);
    const gitVersion = git.ok ? (git.stdout.match(/git version (\S+)/)?.[1] ?? git.stdout.trim()) : null;
    const evidence = {
      node: process.versions.node,
      node_required: `>=${NODE_MIN.join('.')}`,
      openclaw: VERSION,
      platform: `${process.platform}-${process.arch}`,
      git: gitVersion,
    };
    const base = `Node ${process.versions.node} (needs ≥ ${NODE_MIN.join('.')}), openclaw ${VERSION}, ${evidence.platform}`;
    if (!nodeOk)
      return { status: 'fail', detail: `${base}: Node is too old`, remediation: 'run `bash scripts/setup.sh`: it provisions Node 24 into .tools/', evidence };
    if (!gitVersion)
      return {
        status: 'warn',
        severity: 'medium',
        detail: `${base}; git not found${git.error && git.error !== 'not_found' ? ` (${git.error})` : ''}: repository jobs and review bundles need it`,
        remediation: 'sudo apt-get install git',
        evidence,
      };
    return { status: 'pass', detail: `${base}, git ${gitVersion}`, evidence };
  },
};
