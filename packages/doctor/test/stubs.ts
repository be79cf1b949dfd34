/** A directory of stub programs for one test (stand-ins for tools this machine lacks: tailscale, ufw…). */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testdir } from '../../../test/support/tmp.js';

/** Creates executables `name` → shell script body; returns the directory (put it first on PATH). */
export function stubBin(scripts: Record<string, string>): string {
  const dir = testdir();
  for (const [name, body] of Object.entries(scripts)) {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
  }
  return dir;
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
/** A script printing `text` on stdout and exiting with `code` (shell builtins only: it works with an empty PATH). */
export const prints = (text: string, code = 0) => `printf '%s\\n' ${quote(text)}\nexit ${code}`;
/** A script printing `text` on stderr and exiting with `code`. */
export const fails = (text: string, code = 1) => `printf '%s\\n' ${quote(text)} >&2\nexit ${code}`;
