/** Builds `worker-main.ts` once per test file (esbuild, as the CLI is built) and spawns it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll } from 'vitest';
import type { WorkerProcessConfig } from './worker-main.js';

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function useWorkerBundle(): (cfg: WorkerProcessConfig) => WorkerProcess {
  let dir = '';
  let bundle = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openclaw-worker-bundle-'));
    bundle = join(dir, 'worker.mjs');
    await esbuild.build({
      entryPoints: [join(import.meta.dirname, 'worker-main.ts')],
      outfile: bundle,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      external: ['pg-native'],
      banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (cfg) => {
    const child = spawn(process.execPath, [bundle, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b) => (stdout += b));
    child.stderr?.on('data', (b) => (stderr += b));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
    return { child, exited };
  };
}
