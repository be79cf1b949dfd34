/**
 * Validating a job request against the allowlists: the type must be listed, every parameter must be
 * one of its `allowed_params` and pass its type, a repo job must name a listed repo and a full SHA.
 */
import { OpenclawError } from '../errors.js';
import type { JobAllowlist, JobSpec, ParamSpec, RepoAllowlist, RepoSpec } from './schema.js';

export type ParamValue = string | number | boolean;

export interface JobRequest {
  type: string;
  /** Raw `k=v` values as given on the command line or in a queue row. */
  params?: Record<string, string | number | boolean>;
  repo?: string | undefined;
  ref?: string | undefined;
}

export interface ValidatedJob {
  type: string;
  spec: JobSpec;
  params: Record<string, ParamValue>;
  repo?: { name: string } & RepoSpec;
  ref?: string;
  /** The argv after substitution, for `handler: argv` jobs. */
  argv?: string[];
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function refuse(code: string, reason: string, hint?: string): never {
  throw new OpenclawError({ code, reason, ...(hint ? { hint } : {}), exitCode: 2 });
}

export function coerceParam(name: string, spec: ParamSpec, raw: string | number | boolean): ParamValue {
  const s = String(raw);
  if (s.includes('\0')) refuse('param_invalid', `parameter ${name} contains a NUL byte`);
  switch (spec.type) {
    case 'string': {
      const max = spec.max_length ?? 4096;
      if (s.length > max) refuse('param_invalid', `parameter ${name} is longer than ${max} characters`);
      if (spec.pattern !== undefined && !new RegExp(spec.pattern, 'u').test(s))
        refuse('param_invalid', `parameter ${name}=${JSON.stringify(s)} does not match ${spec.pattern}`);
      return s;
    }
    case 'int': {
      if (!/^-?\d{1,15}$/.test(s)) refuse('param_invalid', `parameter ${name} must be an integer, got ${JSON.stringify(s)}`);
      const n = Number(s);
      if (spec.min !== undefined && n < spec.min) refuse('param_invalid', `parameter ${name} must be ≥ ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) refuse('param_invalid', `parameter ${name} must be ≤ ${spec.max}`);
      return n;
    }
    case 'bool':
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      return refuse('param_invalid', `parameter ${name} must be true or false, got ${JSON.stringify(s)}`);
    case 'enum':
      if (!spec.values.includes(s)) refuse('param_invalid', `parameter ${name}=${JSON.stringify(s)} is not one of: ${spec.values.join(', ')}`);
      return s;
  }
}

export function validateJobRequest(jobs: JobAllowlist, repos: RepoAllowlist, req: JobRequest): ValidatedJob {
  const spec = jobs.jobs[req.type];
  if (!spec) refuse('job_type_not_allowed', `job type ${req.type} is not in the job allowlist`, `allowed: ${Object.keys(jobs.jobs).join(', ')}`);
  const params: Record<string, ParamValue> = {};
  for (const [name, raw] of Object.entries(req.params ?? {})) {
    const p = spec.allowed_params[name];
    if (!p) {
      const allowed = Object.keys(spec.allowed_params);
      refuse(
        'param_not_allowed',
        `parameter ${name} is not allowed for ${req.type}`,
        allowed.length ? `allowed: ${allowed.join(', ')}` : `${req.type} takes no parameters`,
      );
    }
    params[name] = coerceParam(name, p, raw);
  }
  for (const [name, p] of Object.entries(spec.allowed_params)) {
    if (params[name] !== undefined) continue;
    if (p.default !== undefined) params[name] = p.default;
    else if (p.required) refuse('param_missing', `parameter ${name} is required for ${req.type}`, `add --param ${name}=…`);
  }
  const out: ValidatedJob = { type: req.type, spec, params };
  if (req.repo !== undefined || spec.requires_repo_allowlist) {
    if (req.repo === undefined) refuse('repo_required', `${req.type} needs a repository`, 'add --repo NAME --ref SHA (names from the repo allowlist)');
    const repo = repos.repos[req.repo];
    if (!repo) refuse('repo_not_allowed', `repository ${req.repo} is not in the repo allowlist`, `allowed: ${Object.keys(repos.repos).join(', ') || '(none)'}`);
    if (req.ref === undefined || !SHA.test(req.ref))
      refuse(
        'ref_invalid',
        `--ref must be a full commit SHA (40 hex characters), got ${JSON.stringify(req.ref ?? '')}`,
        'pin the exact commit: git rev-parse <branch>',
      );
    out.repo = { name: req.repo, ...repo };
    out.ref = req.ref;
  } else if (req.ref !== undefined) refuse('ref_without_repo', '--ref needs --repo');
  if (spec.handler === 'argv') {
    if (!spec.argv) refuse('job_spec_invalid', `job type ${req.type} has handler argv but no argv template`);
    const argv: string[] = [];
    for (const el of spec.argv) {
      const m = /^\{([a-z][a-z0-9_]*)\}$/.exec(el);
      if (!m) argv.push(el);
      else if (params[m[1] as string] !== undefined) argv.push(String(params[m[1] as string]));
      else if (!((m[1] as string) in spec.allowed_params)) refuse('job_spec_invalid', `argv template of ${req.type} names unknown parameter ${m[1]}`);
    }
    out.argv = argv;
  }
  return out;
}
