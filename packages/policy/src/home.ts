import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$OPENCLAW_HOME`, default `~/.openclaw` (created 0700 by the commands that write state). */
export function openclawHome(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.OPENCLAW_HOME;
  return h && h !== '' ? h : join(userHome(env), '.openclaw');
}

export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}
