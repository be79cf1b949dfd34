import { describe, expect, it } from 'vitest';
import { bundledConfigPath, loadJobAllowlist, loadRepoAllowlist } from '../src/jobs/load.js';
import { validateJobRequest } from '../src/jobs/validate.js';

const SHA = 'a'.repeat(40);

describe('job requests against the allowlists', async () => {
  const jobs = await loadJobAllowlist(bundledConfigPath('job_allowlist.yaml') as string);
  const repos = await loadRepoAllowlist(bundledConfigPath('repo_allowlist.yaml') as string);

  it('a valid request gets typed params, defaults and its argv', () => {
    const v = validateJobRequest(jobs, repos, { type: 'test_runner_task', params: { runner: 'pnpm' }, repo: 'openclaw', ref: SHA });
    expect(v.params).toEqual({ runner: 'pnpm' });
    expect(v.argv).toEqual(['pnpm', 'test']);
    expect(v.repo?.url).toMatch(/openclaw/);
    const idx = validateJobRequest(jobs, repos, { type: 'repo_index_task', params: { max_files: '10' }, repo: 'openclaw', ref: SHA });
    expect(idx.params).toEqual({ max_files: 10 });
    expect(validateJobRequest(jobs, repos, { type: 'doctor_task' }).params).toEqual({});
  });

  it.each<[string, Parameters<typeof validateJobRequest>[2], string]>([
    ['unknown job type', { type: 'rm_rf_task' }, 'job_type_not_allowed'],
    ['unknown param', { type: 'repo_index_task', params: { evil: '1' }, repo: 'openclaw', ref: SHA }, 'param_not_allowed'],
    ['bad int', { type: 'repo_index_task', params: { max_files: 'ten' }, repo: 'openclaw', ref: SHA }, 'param_invalid'],
    ['int out of range', { type: 'repo_index_task', params: { max_files: '0' }, repo: 'openclaw', ref: SHA }, 'param_invalid'],
    ['enum value not listed', { type: 'test_runner_task', params: { runner: 'bash' }, repo: 'openclaw', ref: SHA }, 'param_invalid'],
    ['pattern mismatch', { type: 'doc_compactor_task', params: { docs_dir: '../etc' }, repo: 'openclaw', ref: SHA }, 'param_invalid'],
    ['NUL in a value', { type: 'doc_compactor_task', params: { docs_dir: 'docs\0' }, repo: 'openclaw', ref: SHA }, 'param_invalid'],
    ['required param missing', { type: 'test_runner_task', repo: 'openclaw', ref: SHA }, 'param_missing'],
    ['repo missing', { type: 'repo_index_task' }, 'repo_required'],
    ['repo not listed', { type: 'repo_index_task', repo: 'evil', ref: SHA }, 'repo_not_allowed'],
    ['ref not a SHA', { type: 'repo_index_task', repo: 'openclaw', ref: 'main' }, 'ref_invalid'],
    ['ref without repo', { type: 'doctor_task', ref: SHA }, 'ref_without_repo'],
  ])('%s is refused', (_n, req, code) => {
    expect(() => validateJobRequest(jobs, repos, req)).toThrow(expect.objectContaining({ code }));
  });
});
