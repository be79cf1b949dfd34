/**
 * Secrets openclaw itself uses, such as the model API key (SPEC §5), looked up in order:
 *   1. the environment: `OPENCLAW_SECRET_<NAME>` (and the usual name for a few: openai → OPENAI_API_KEY);
 *   2. a file `$OPENCLAW_HOME/secrets/<name>` — refused unless it is a regular file (not a symlink)
 *      owned by this user with no group/other bits, in a directory with no group/other write;
 *   3. the system keychain where one exists (`secret-tool`, libsecret: service=openclaw name=<name>);
 *   4. a prompt without echo, only when asked for and stdin is a terminal.
 * A value is never put in an argv (secret-tool gets it on stdin), never logged, and printed only by
 * `openclaw secrets get NAME --reveal`.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OpenclawError, resolveExecutable } from '@openclaw/policy';

export type SecretSource = 'env' | 'file' | 'keychain' | 'prompt';

export interface SecretLookup {
  name: string;
  value: string | null;
  source: SecretSource | null;
  /** Where it was found, or what was looked at. */
  detail: string;
}

const ALIASES: Record<string, string[]> = { openai: ['OPENAI_API_KEY'], anthropic: ['ANTHROPIC_API_KEY'] };

export function checkSecretName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(name))
    throw new OpenclawError({
      code: 'secret_name_invalid',
      reason: `secret name ${JSON.stringify(name)} is not lowercase letters, digits, _ . - (1-64)`,
      exitCode: 2,
    });
  return name;
}

export function secretEnvNames(name: string): string[] {
  return [`OPENCLAW_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`, ...(ALIASES[name] ?? [])];
}

export const secretsDir = (home: string) => join(home, 'secrets');

/** The keychain (libsecret through `secret-tool`), when this machine has one. */
export interface Keychain {
  readonly name: string;
  get(name: string): string | null;
  set(name: string, value: string): void;
}

export function systemKeychain(pathDirs: readonly string[] = ['/usr/local/bin', '/usr/bin', '/bin']): Keychain | null {
  const tool = resolveExecutable('secret-tool', '/', pathDirs);
  if (!tool.ok) return null;
  const bin = tool.realPath;
  return {
    name: `secret-tool (${bin})`,
    get: (name) => {
      const r = spawnSync(bin, ['lookup', 'service', 'openclaw', 'name', name], { encoding: 'utf8', timeout: 10_000 });
      return r.status === 0 && r.stdout !== '' ? r.stdout.replace(/\n$/, '') : null;
    },
    set: (name, value) => {
      const r = spawnSync(bin, ['store', `--label=openclaw ${name}`, 'service', 'openclaw', 'name', name], { input: value, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0)
        throw new OpenclawError({ code: 'keychain_failed', reason: `secret-tool could not store ${name}: ${(r.stderr || r.error?.message || '').trim()}` });
    },
  };
}

/** Reads the secret file, refusing one others could read or swap. Null when absent. */
export function readSecretFile(home: string, name: string): { value: string; path: string } | null {
  const dir = secretsDir(home);
  const path = join(dir, name);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  const refuse = (why: string, hint: string) => {
    throw new OpenclawError({ code: 'secret_file_insecure', reason: `refusing the secret file ${path}: ${why}`, hint, exitCode: 1 });
  };
  if (st.isSymbolicLink()) refuse('it is a symlink', `replace it with a regular file: openclaw secrets set ${name}`);
  if (!st.isFile()) refuse('it is not a regular file', `openclaw secrets set ${name}`);
  if (st.uid !== uid) refuse(`it is owned by uid ${st.uid}, not ${uid}`, `chown ${uid} ${path}`);
  if (st.mode & 0o077) refuse(`its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')} (group/other can access it)`, `chmod 600 ${path}`);
  const d = statSync(dir);
  if (d.mode & 0o022) refuse(`its directory ${dir} is writable by group/other`, `chmod 700 ${dir}`);
  return { value: readFileSync(path, 'utf8').replace(/\r?\n$/, ''), path };
}

/** Writes `$OPENCLAW_HOME/secrets/<name>` atomically, 0600 in a 0700 directory. */
export function writeSecretFile(home: string, name: string, value: string): string {
  checkSecretName(name);
  const dir = secretsDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${Date.now()}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, value);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(null);
  return new Promise((resolve) => {
    // Echo off before the prompt shows: what is typed once the prompt is visible is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    let value = '';
    const done = (v: string | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      resolve(v);
    };
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003' || ch === '\u0004') return done(null);
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export interface LookupOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  keychain?: Keychain | null;
  /** Ask on the terminal as the last resort. */
  prompt?: boolean;
}

export async function getSecret(name: string, opts: LookupOptions): Promise<SecretLookup> {
  checkSecretName(name);
  const env = opts.env ?? process.env;
  const names = secretEnvNames(name);
  for (const k of names) {
    const v = env[k];
    if (v) return { name, value: v, source: 'env', detail: `environment variable ${k}` };
  }
  const file = readSecretFile(opts.home, name);
  if (file) return { name, value: file.value, source: 'file', detail: file.path };
  const keychain = opts.keychain === undefined ? systemKeychain() : opts.keychain;
  if (keychain) {
    const v = keychain.get(name);
    if (v !== null) return { name, value: v, source: 'keychain', detail: keychain.name };
  }
  if (opts.prompt) {
    const v = await promptHidden(`${name}: `);
    if (v) return { name, value: v, source: 'prompt', detail: 'typed on the terminal' };
  }
  const looked = [names.join(', '), join(secretsDir(opts.home), name), keychain ? keychain.name : 'no keychain (secret-tool not installed)'];
  return { name, value: null, source: null, detail: `not found in ${looked.join('; ')}` };
}
