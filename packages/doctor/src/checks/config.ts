import { lstatSync } from 'node:fs';
import { formatIssue } from '@openclaw/policy';
import type { CheckDefinition, SafeFix } from '../check.js';
import { modeText } from '../permissions.js';

export const configValid: CheckDefinition = {
  id: 'config.valid',
  title: 'openclaw.yaml is valid and only you can change it',
  severity: 'high',
  async run(ctx) {
    const state = await ctx.config();
    if (!state.ok) {
      return {
        status: 'fail',
        detail: state.issues?.length
          ? `${state.reason}: ${state.issues
              .slice(0, 3)
              .map((i) => formatIssue(i))
              .join('; ')}`
          : state.reason,
        remediation: state.hint ?? null,
        evidence: { file: state.file ?? null, issues: state.issues ?? [] },
      };
    }
    const { file, source } = state.loaded;
    if (!file) return { status: 'pass', detail: 'no config file: the embedded defaults apply (host sandbox, security deny)', evidence: { file: null, source } };
    const st = lstatSync(file);
    const fixes: SafeFix[] = [];
    const problems: string[] = [];
    if (ctx.uid !== undefined && st.uid !== ctx.uid && st.uid !== 0) problems.push(`is owned by uid ${st.uid}`);
    if ((st.mode & 0o022) !== 0) {
      problems.push(`is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (${modeText(st.mode)}), who could loosen the policy`);
      if (st.uid === ctx.uid && !st.isSymbolicLink()) fixes.push({ path: file, kind: 'file', keep: 0o755, why: 'only the owner may change the policy' });
    }
    const evidence = { file, source, mode: modeText(st.mode), uid: st.uid };
    if (problems.length)
      return { status: 'fail', detail: `${file} ${problems.join(' and ')}`, remediation: `chmod go-w ${file} (or \`openclaw doctor --fix\`)`, evidence, fixes };
    return { status: 'pass', detail: `${file} (from ${source}) is valid, mode ${modeText(st.mode)}`, evidence };
  },
};
