/**
 * Where the approvals file, the endpoint socket and the token store are, for commands and for other
 * packages' clients (`exec run`). Each from the most specific source: flag → openclaw.yaml
 * `approvals.*` → the approvals file (`socket.path`) → `$OPENCLAW_HOME`.
 */
import { join, resolve } from 'node:path';
import { approvalsPathFor, loadConfig, OpenclawError, openclawHome, readApprovalsFile, userHome } from '@openclaw/policy';

export interface LocateOptions {
  configFile?: string | undefined;
  approvalsFile?: string | undefined;
  socket?: string | undefined;
  tokenStore?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ApprovalsLocation {
  approvalsPath: string;
  socketPath: string;
  /** `memory`, or the SQLite file tokens persist in. */
  tokenStore: 'memory' | { sqlite: string };
  configFile: string | null;
}

export const SOCKET_FILE_NAME = 'exec-approvals.sock';
/** sun_path is 108 bytes on Linux (104 on BSD) including the NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

export function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  return p === '~' ? userHome(env) : p.startsWith('~/') ? join(userHome(env), p.slice(2)) : p;
}

export async function locateApprovals(opts: LocateOptions = {}): Promise<ApprovalsLocation> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const config = await loadConfig({ flag: opts.configFile, cwd, env });
  const configDir = config.file ? resolve(config.file, '..') : cwd;
  const approvalsPath = approvalsPathFor(config, opts.approvalsFile, cwd, env);
  let socketPath: string;
  if (opts.socket) socketPath = resolve(cwd, expandHome(opts.socket, env));
  else if (config.config.approvals?.socket) socketPath = resolve(configDir, expandHome(config.config.approvals.socket, env));
  else {
    const file = await readApprovalsFile(approvalsPath);
    const fromFile = file.status === 'ok' ? file.file.socket?.path : undefined;
    socketPath = fromFile ? resolve(configDir, expandHome(fromFile, env)) : join(openclawHome(env), SOCKET_FILE_NAME);
  }
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES)
    throw new OpenclawError({
      code: 'usage',
      reason: `socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit of a Unix socket address`,
      hint: 'use a shorter path: --socket /run/user/$(id -u)/openclaw.sock',
      exitCode: 2,
    });
  const store = opts.tokenStore ?? config.config.approvals?.tokenStore ?? 'memory';
  const tokenStore: ApprovalsLocation['tokenStore'] =
    store === 'memory'
      ? 'memory'
      : { sqlite: store === 'sqlite' ? join(openclawHome(env), 'state', 'approvals.db') : resolve(opts.tokenStore ? cwd : configDir, expandHome(store, env)) };
  return { approvalsPath, socketPath, tokenStore, configFile: config.file ?? null };
}

/** The socket token clients sign with, or an error that says how to get one. */
export async function readSocketToken(approvalsPath: string): Promise<string> {
  const file = await readApprovalsFile(approvalsPath);
  if (file.status === 'invalid') throw new OpenclawError({ ...file.error, exitCode: 1 });
  const token = file.status === 'ok' ? file.file.socket?.token : undefined;
  if (!token)
    throw new OpenclawError({
      code: 'approvals_unreachable',
      reason: `no socket token in ${approvalsPath}: the approvals endpoint has never been started`,
      hint: 'start it with `openclaw approvals serve` (it creates the token)',
    });
  return token;
}
