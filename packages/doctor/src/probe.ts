/**
 * Runs a helper program (ss, sshd, git, tailscale, …) by bare name through PATH with a bounded
 * timeout, so one hung tool costs the doctor at most its bound and never hangs the report.
 */
import { execFile } from 'node:child_process';

export interface ProbeResult {
  /** Exit status 0. */
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** `not_found`: no such program; `timeout`: killed at the bound; otherwise the spawn error. */
  error?: 'not_found' | 'timeout' | string;
  duration_ms: number;
}

export interface ProbeOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 700;

export function probe(cmd: string, args: readonly string[], opts: ProbeOptions = {}): Promise<ProbeResult> {
  const started = performance.now();
  const timeout = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024, encoding: 'utf8', env: opts.env ?? process.env, ...(opts.cwd ? { cwd: opts.cwd } : {}) },
      (err, stdout, stderr) => {
        const duration_ms = Math.round(performance.now() - started);
        if (!err) return resolve({ ok: true, code: 0, stdout, stderr, duration_ms });
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT') return resolve({ ok: false, code: null, stdout: '', stderr: '', error: 'not_found', duration_ms });
        if (e.killed && e.signal === 'SIGKILL') return resolve({ ok: false, code: null, stdout, stderr, error: 'timeout', duration_ms });
        if (typeof e.code === 'number') return resolve({ ok: false, code: e.code, stdout, stderr, duration_ms });
        resolve({ ok: false, code: null, stdout, stderr, error: String(e.code ?? e.message), duration_ms });
      },
    );
  });
}

/** The first non-empty line of a tool's complaint, for a one-line detail. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}
