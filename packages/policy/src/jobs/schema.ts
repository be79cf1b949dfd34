/**
 * Job and repo allowlists (`configs/job_allowlist.yaml`, `configs/repo_allowlist.yaml`): the job
 * types a worker may run, with their argv template, typed parameters, repo requirement, timeout and
 * budget; and the repositories jobs may use, by name and URL. Anything not listed is refused.
 */
import * as z from 'zod';

const paramName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'parameter names are lower_snake_case');

const common = { required: z.boolean().optional(), description: z.string().optional() };
export const ParamSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    pattern: z.string().optional(),
    max_length: z.number().int().positive().max(65_536).optional(),
    default: z.string().optional(),
    ...common,
  }),
  z.strictObject({
    type: z.literal('int'),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    default: z.number().int().optional(),
    ...common,
  }),
  z.strictObject({ type: z.literal('bool'), default: z.boolean().optional(), ...common }),
  z.strictObject({ type: z.literal('enum'), values: z.array(z.string()).min(1), default: z.string().optional(), ...common }),
]);
export type ParamSpec = z.infer<typeof ParamSpec>;

export const Budget = z
  .strictObject({
    max_runtime_sec: z.number().int().positive(),
    max_output_chars: z.number().int().positive(),
    max_tool_calls: z.number().int().min(0),
  })
  .partial();
export type Budget = z.infer<typeof Budget>;

export const JobSpec = z.strictObject({
  description: z.string().optional(),
  /** `builtin`: implemented by openclaw; `argv`: runs `argv` (after substitution) through the runner. */
  handler: z.enum(['builtin', 'argv']).default('builtin'),
  /** Elements of the form `{name}` are replaced by that parameter's value (one argument each). */
  argv: z.array(z.string()).min(1).optional(),
  allowed_params: z.record(paramName, ParamSpec).default({}),
  requires_repo_allowlist: z.boolean().default(false),
  /** Whether the job may start subprocesses (test_runner_task needs this). */
  subprocess: z.boolean().default(false),
  /** Where the job runs: `sandbox` (default) or `gateway` (this host, no sandbox). */
  host: z.enum(['sandbox', 'gateway']).default('sandbox'),
  timeout_sec: z.number().int().positive().max(86_400).default(600),
  max_attempts: z.number().int().min(1).max(100).default(3),
  budget: Budget.default({}),
});
export type JobSpec = z.infer<typeof JobSpec>;

export const JobAllowlist = z.strictObject({
  version: z.literal(1),
  jobs: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'job types are lower_snake_case'), JobSpec),
});
export type JobAllowlist = z.infer<typeof JobAllowlist>;

export const RepoSpec = z.strictObject({
  url: z
    .string()
    .min(1)
    .regex(/^(https:\/\/|ssh:\/\/|git@|file:\/\/|\/)[^\s\0]*$/, 'a git URL (https://, ssh://, git@host:, file:// or an absolute path)'),
  description: z.string().optional(),
  default_branch: z.string().optional(),
});
export type RepoSpec = z.infer<typeof RepoSpec>;

export const RepoAllowlist = z.strictObject({
  version: z.literal(1),
  repos: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'repo names are letters, digits, _ . -'), RepoSpec),
});
export type RepoAllowlist = z.infer<typeof RepoAllowlist>;
