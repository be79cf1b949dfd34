/** Builds a temporary directory tree inline, so each test shows its whole world (shared by every package's tests). */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

export type Tree = Record<string, string | { content: string; mode?: number } | { symlink: string } | null>;

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Creates `tree` under a fresh 0700 directory (removed after the test) and returns its path. */
export function testdir(tree: Tree = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'openclaw-test-'));
  made.push(root);
  return build(root, tree);
}

/** Like `testdir`, for a whole `describe` block: call it in the block's body; removed after it. */
export function suitedir(tree: Tree = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'openclaw-suite-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return build(root, tree);
}

function build(root: string, tree: Tree): string {
  chmodSync(root, 0o700);
  for (const [rel, spec] of Object.entries(tree)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (spec === null) mkdirSync(p, { recursive: true });
    else if (typeof spec === 'string') writeFileSync(p, spec);
    else if ('symlink' in spec) symlinkSync(spec.symlink, p);
    else {
      writeFileSync(p, spec.content);
      if (spec.mode !== undefined) chmodSync(p, spec.mode);
    }
  }
  return root;
}

/** An executable shell script (never run by the policy tests; it only has to exist). */
export const exe = (content = '#!/bin/sh\nexit 0\n') => ({ content, mode: 0o755 });
