/**
 * The compile cache lives where only this user can write (see src/compile-cache.ts): a cache in a
 * folder someone else controls would let them choose the code openclaw runs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enablePrivateCompileCache } from '../src/compile-cache.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function root(): string {
  const r = mkdtempSync(join(tmpdir(), 'openclaw-cc-'));
  roots.push(r);
  return r;
}

/** Runs the function with XDG_CACHE_HOME=`base`; returns the folder it enabled, if any. */
function enableUnder(base: string, extra: NodeJS.ProcessEnv = {}): { dir: string | undefined; enabled: string[] } {
  const enabled: string[] = [];
  const dir = enablePrivateCompileCache((d) => enabled.push(d), { XDG_CACHE_HOME: base, ...extra });
  return { dir, enabled };
}

const isRoot = process.getuid?.() === 0;

describe('the compile cache folder', () => {
  it('is created owner-only under XDG_CACHE_HOME and enabled there', () => {
    const base = join(root(), 'cache');
    const { dir, enabled } = enableUnder(base);
    expect(dir).toBe(join(base, 'openclaw', 'node-compile-cache'));
    expect(enabled).toEqual([dir]);
    expect(statSync(dir as string).mode & 0o777).toBe(0o700);
  });

  it('is not used when a folder above it is writable by others', () => {
    const r = root();
    const base = join(r, 'cache');
    mkdirSync(base);
    chmodSync(base, 0o777);
    const { dir, enabled } = enableUnder(base);
    expect(dir).toBeUndefined();
    expect(enabled).toEqual([]);
  });

  it('is used below a sticky world-writable folder (like /tmp) when the rest is ours', () => {
    const r = root();
    chmodSync(r, 0o1777);
    expect(enableUnder(join(r, 'cache')).dir).toBe(join(r, 'cache', 'openclaw', 'node-compile-cache'));
  });

  it('is not used when the folder itself is writable by others', () => {
    const base = join(root(), 'cache');
    mkdirSync(join(base, 'openclaw', 'node-compile-cache'), { recursive: true });
    chmodSync(join(base, 'openclaw', 'node-compile-cache'), 0o733);
    expect(enableUnder(base).enabled).toEqual([]);
  });

  it.runIf(isRoot)('is not used when another user owns a folder on the way (run as root: chown)', () => {
    const base = join(root(), 'cache');
    mkdirSync(join(base, 'openclaw'), { recursive: true });
    chownSync(join(base, 'openclaw'), 65534, 65534);
    expect(enableUnder(base).enabled).toEqual([]);
  });

  it('follows a symlinked path to the real folders, and checks those', () => {
    const r = root();
    mkdirSync(join(r, 'real'));
    symlinkSync(join(r, 'real'), join(r, 'link'));
    expect(enableUnder(join(r, 'link')).dir).toBe(join(r, 'link', 'openclaw', 'node-compile-cache'));
    chmodSync(join(r, 'real'), 0o777);
    expect(enableUnder(join(r, 'link')).enabled).toEqual([]);
  });

  it('is left to Node when NODE_COMPILE_CACHE is set, and off with NODE_DISABLE_COMPILE_CACHE=1', () => {
    const base = join(root(), 'cache');
    expect(enableUnder(base, { NODE_COMPILE_CACHE: '/somewhere' }).enabled).toEqual([]);
    expect(enableUnder(base, { NODE_DISABLE_COMPILE_CACHE: '1' }).enabled).toEqual([]);
    expect(existsSync(base)).toBe(false);
  });
});

describe('the binary', () => {
  it("fills the private cache and writes nothing to the shared one in the temp dir (TMPDIR's node-compile-cache)", () => {
    const r = root();
    const bin = join(import.meta.dirname, '../../../bin/openclaw');
    const tmp = join(r, 'tmp');
    mkdirSync(tmp);
    const res = spawnSync(bin, ['policy', 'check', '--json', '--', 'ls'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(r, 'home'), OPENCLAW_HOME: join(r, 'oc'), TMPDIR: tmp, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).not.toBeNull();
    const cache = join(r, 'home', '.cache', 'openclaw', 'node-compile-cache');
    expect(readdirSync(cache).length).toBeGreaterThan(0);
    expect(existsSync(join(tmp, 'node-compile-cache'))).toBe(false);
  });
});
