/** Job and repo allowlists written inline, with the schema's defaults filled in. */
import type { JobAllowlist, JobSpec, RepoAllowlist } from '@openclaw/policy';

export function spec(p: Partial<JobSpec> = {}): JobSpec {
  return {
    handler: 'builtin',
    allowed_params: {},
    requires_repo_allowlist: false,
    subprocess: false,
    host: 'sandbox',
    timeout_sec: 600,
    max_attempts: 3,
    budget: {},
    ...p,
  };
}

export function jobs(specs: Record<string, JobSpec>): JobAllowlist {
  return { version: 1, jobs: specs };
}

export function repos(list: Record<string, string>): RepoAllowlist {
  return { version: 1, repos: Object.fromEntries(Object.entries(list).map(([name, url]) => [name, { url }])) };
}

/** The default job types, as configs/job_allowlist.yaml defines them. */
export const DEFAULT_TYPES = {
  repo_index_task: spec({
    requires_repo_allowlist: true,
    allowed_params: { max_files: { type: 'int', min: 1, max: 1_000_000, default: 100_000 } },
    budget: { max_runtime_sec: 600, max_output_chars: 200_000, max_tool_calls: 0 },
  }),
  doc_compactor_task: spec({
    requires_repo_allowlist: true,
    allowed_params: {
      docs_dir: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$', default: 'docs' },
      max_chars: { type: 'int', min: 100, max: 2_000_000, default: 100_000 },
    },
    budget: { max_runtime_sec: 600, max_output_chars: 2_000_000, max_tool_calls: 0 },
  }),
  test_runner_task: spec({
    handler: 'argv',
    argv: ['{runner}', 'test'],
    subprocess: true,
    requires_repo_allowlist: true,
    allowed_params: { runner: { type: 'enum', values: ['npm', 'pnpm', 'make'], required: true } },
    budget: { max_runtime_sec: 1800, max_output_chars: 200_000, max_tool_calls: 0 },
  }),
};
