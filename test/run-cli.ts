/** Runs the built `bin/openclaw` as a user would: a fresh OPENCLAW_HOME, no colour, its own cwd. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/openclaw');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test helper; callers index the parsed JSON freely
  json: () => any;
}

const homes: string[] = [];
afterAll(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** A new OPENCLAW_HOME (and HOME), removed when the test file ends. */
export function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'openclaw-e2e-'));
  homes.push(home);
  return home;
}

export function openclaw(args: string[], opts: { home?: string; cwd?: string; env?: Record<string, string>; input?: string } = {}): CliResult {
  const home = opts.home ?? freshHome();
  const r = spawnSync(BIN, args, {
    cwd: opts.cwd ?? home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, OPENCLAW_HOME: home, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 60_000,
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout),
  };
}
