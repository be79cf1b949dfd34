/**
 * The review verdict (SPEC §6): what `review run` writes and what `review gate`, `review finish` and
 * `review verdict validate` read. Parsed with zod at the boundary; the JSON Schema generated from it
 * ships as configs/schemas/review-verdict.schema.json.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, OpenclawError } from '@openclaw/policy/errors';
import * as z from 'zod';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit SHA');

export const Blocker = z
  .object({
    message: z.string().min(1).describe('What must change before this can land.'),
    path: z.string().optional().describe('File the blocker is about.'),
    line: z.number().int().positive().optional().describe('Line in TO.'),
    packet: z.number().int().positive().optional().describe('Packet the reviewer saw it in.'),
  })
  .strict();

export const Verdict = z
  .object({
    verdict: z.enum(['APPROVED', 'BLOCKED']).describe('APPROVED only with no blockers.'),
    blockers: z.array(Blocker),
    notes: z.array(z.string()).optional().describe('Non-blocking remarks.'),
    meta: z
      .object({
        since_sha: sha.describe('Start of the reviewed range (or the empty tree).'),
        to_sha: sha.describe('End of the reviewed range.'),
        simulated: z.boolean().describe('True for `review run --simulate`: no model saw the change. The gate refuses it.'),
        reviewer: z
          .object({
            name: z.string().min(1).describe('The reviewing model (or "simulated").'),
            version: z.string().describe('The model version the endpoint reported; the gate refuses an empty one.'),
          })
          .strict(),
        bundle_sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest')
          .describe('sha256 of what the reviewer was given: the patch, or for packets the `<name> <sha256>\\n` lines in order (artifact.json bundle_sha256).'),
        packets: z.number().int().nonnegative().describe('How many packets (or 1 for a single patch) were reviewed.'),
        reviewed_at: z.string().describe('UTC time of the review (ISO 8601).'),
        api_base: z.string().optional().describe('The OpenAI-compatible endpoint used.'),
      })
      .strict(),
  })
  .strict()
  .refine((v) => v.verdict !== 'APPROVED' || v.blockers.length === 0, { message: 'an APPROVED verdict cannot have blockers', path: ['blockers'] });
export type Verdict = z.infer<typeof Verdict>;

export function verdictJsonSchema(): string {
  const json = z.toJSONSchema(Verdict, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ $id: 'https://openclaw.dev/schemas/review-verdict.schema.json', title: 'review verdict (openclaw review run)', ...json }, null, 2)}\n`;
}

export type VerdictCheck = { ok: true; verdict: Verdict } | { ok: false; problems: string[] };

export function checkVerdict(value: unknown): VerdictCheck {
  const r = Verdict.safeParse(value);
  if (r.success) return { ok: true, verdict: r.data };
  return { ok: false, problems: r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`) };
}

/** Reads and validates a verdict file; a missing, unreadable or invalid file is a failed check. */
export function readVerdict(file: string): Verdict {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OpenclawError({
      code: 'verdict_unreadable',
      reason: `cannot read verdict ${file}: ${(e as Error).message}`,
      hint: 'run `openclaw review run` to produce one',
      exitCode: ExitCode.checkFailed,
    });
  }
  const c = checkVerdict(value);
  if (!c.ok) {
    throw new OpenclawError({
      code: 'verdict_invalid',
      reason: `${file} is not a valid verdict: ${c.problems.join('; ')}`,
      hint: 'see configs/schemas/review-verdict.schema.json; rerun `openclaw review run`',
      exitCode: ExitCode.checkFailed,
    });
  }
  return c.verdict;
}
