/** Temporary directories removed after each test (the pattern of packages/policy/test/tmp.ts). */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function testdir(): string {
  const root = mkdtempSync(join(tmpdir(), 'openclaw-rb-test-'));
  chmodSync(root, 0o700);
  made.push(root);
  return root;
}

export function suitedir(): string {
  const root = mkdtempSync(join(tmpdir(), 'openclaw-rb-suite-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
