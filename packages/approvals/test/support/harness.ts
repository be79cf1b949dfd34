/** Endpoint test worlds: a home with a config and an approvals file, a server, a client, raw sockets. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { testdir } from '../../../../test/support/tmp.js';
import { type ApprovalsClient, createApprovalsClient } from '../../src/client/client.js';
import { type ApprovalsServer, type ApprovalsServerOptions, startApprovalsServer } from '../../src/endpoint/serve.js';
import { readSocketToken } from '../../src/file/locate.js';
import { CONFIG } from './config.js';

export const REPO = join(import.meta.dirname, '../../../..');

export interface World {
  dir: string;
  approvalsPath: string;
  socketPath: string;
  server: ApprovalsServer;
  token: string;
  client: ApprovalsClient;
  events: unknown[];
}

/** A server on a fresh home: /usr/bin/ls allowlisted for everyone, anything else asks. */
export async function startWorld(opts: Partial<ApprovalsServerOptions> & { approvals?: unknown; dir?: string } = {}): Promise<World> {
  const dir = opts.dir ?? testdir();
  const approvalsPath = join(dir, 'exec-approvals.json');
  if (opts.approvals !== false && !opts.dir)
    writeFileSync(approvalsPath, JSON.stringify(opts.approvals ?? { version: 1, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } }), {
      mode: 0o600,
    });
  const configFile = join(dir, 'openclaw.yaml');
  if (!opts.dir) writeFileSync(configFile, CONFIG);
  const socketPath = join(dir, 'sock', 'a.sock');
  const events: unknown[] = [];
  const server = await startApprovalsServer({
    location: { approvalsPath, socketPath, configFile, tokenStore: opts.tokenStore ? { sqlite: join(dir, 'tokens.db') } : 'memory' },
    cwd: dir,
    onEvent: (e) => events.push(e),
    ...opts,
  });
  const token = await readSocketToken(approvalsPath);
  return { dir, approvalsPath, socketPath, server, token, client: createApprovalsClient({ socketPath, token }), events };
}

/** Writes `data` (then ends the write side with `end`) on a fresh connection; collects the reply until the server closes or `waitMs`. */
export function rawExchange(socketPath: string, data: string | Buffer | undefined, opts: { waitMs?: number; end?: boolean } = {}) {
  return new Promise<{ reply: string; closedByServer: boolean; error?: string }>((resolve) => {
    const sock = connect(socketPath);
    let reply = '';
    let done = false;
    const finish = (closedByServer: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ reply, closedByServer, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 5_000);
    sock.on('connect', () => {
      if (data !== undefined && opts.end) sock.end(data);
      else if (data !== undefined) sock.write(data);
    });
    sock.on('data', (d) => (reply += d.toString('utf8')));
    sock.on('close', () => finish(true));
    sock.on('error', (e: NodeJS.ErrnoException) => finish(true, e.code));
  });
}

/**
 * Runs a program without blocking this process (the server under test runs in it), optionally as
 * another user through setpriv; resolves with its exit code and output.
 */
export function run(cmd: string, args: string[], opts: { uid?: number; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const argv = opts.uid !== undefined ? [`--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', cmd, ...args] : args;
    const p = spawn(opts.uid !== undefined ? 'setpriv' : cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a TypeScript file of this test folder in a new Node process (tsx). */
export function runTs(file: string, args: string[]) {
  return run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, file), ...args]);
}
