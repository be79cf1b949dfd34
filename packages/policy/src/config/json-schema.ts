/** JSON Schemas generated from the zod schemas (`openclaw schema`, committed under configs/schemas/). */
import * as z from 'zod';
import { ApprovalsFile } from '../approvals/schema.js';
import { JobAllowlist, RepoAllowlist } from '../jobs/schema.js';
import { OpenclawConfig } from './schema.js';

const SCHEMAS = {
  'openclaw.schema.json': { schema: OpenclawConfig, title: 'openclaw.yaml', io: 'input' },
  'job_allowlist.schema.json': { schema: JobAllowlist, title: 'job_allowlist.yaml', io: 'input' },
  'repo_allowlist.schema.json': { schema: RepoAllowlist, title: 'repo_allowlist.yaml', io: 'input' },
  'exec-approvals.schema.json': { schema: ApprovalsFile, title: 'exec-approvals.json (version 1)', io: 'input' },
} as const;

export function generateJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, { schema, title, io }] of Object.entries(SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
    out[file] = `${JSON.stringify({ $id: `https://openclaw.dev/schemas/${file}`, title, ...json }, null, 2)}\n`;
  }
  return out;
}
