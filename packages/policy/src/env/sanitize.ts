/**
 * Child environments (SPEC §3): children start from a minimal env — PATH (the policy's), HOME, LANG,
 * TERM, TZ — plus the request's variables that pass the checks below. Nothing else is inherited, so
 * secrets in the parent's environment never reach a child.
 */

export interface EnvRefusal {
  key: string;
  reason: string;
}

export type ChildEnvResult = { ok: true; env: Record<string, string> } | { ok: false; refused: EnvRefusal[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables that change how programs load code, find libraries or run helpers. */
const BLOCKED_EXACT = new Set([
  'PATH',
  'HOME',
  'SHELL',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'CDPATH',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_REPL_EXTERNAL_MODULE',
  'NODE_EXTRA_CA_CERTS',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONSTARTUP',
  'PYTHONINSPECT',
  'PYTHONUSERBASE',
  'PYTHONBREAKPOINT',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  'GEM_PATH',
  'GEM_HOME',
  'GCONV_PATH',
  'GLIBC_TUNABLES',
  'LOCPATH',
  'NLSPATH',
  'HOSTALIASES',
  'RESOLV_HOST_CONF',
  'TMPDIR',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'BROWSER',
  'LESSOPEN',
  'LESSCLOSE',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'PROMPT',
  'ZDOTDIR',
  'INPUTRC',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CONFIG_DIRS',
]);
const BLOCKED_PREFIX = ['LD_', 'DYLD_', 'BASH_FUNC_', 'MALLOC_', 'NPM_CONFIG_', 'npm_config_', 'PNPM_', 'OPENCLAW_'];
/** git variables that are plain metadata; every other GIT_* (config, exec path, ssh, askpass…) is refused. */
const GIT_ALLOWED = new Set([
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'GIT_TERMINAL_PROMPT',
]);

export function envKeyRefusal(key: string): string | undefined {
  if (!NAME.test(key)) return 'not a valid variable name';
  if (BLOCKED_EXACT.has(key)) return key === 'PATH' ? 'PATH comes from the policy, never from the request' : 'can change which code a program loads';
  for (const p of BLOCKED_PREFIX) if (key.startsWith(p)) return `${p}* variables can change which code a program loads`;
  if (key.startsWith('GIT_') && !GIT_ALLOWED.has(key)) return 'GIT_* variables can run commands or change git configuration';
  return undefined;
}

export interface ChildEnvOptions {
  /** The policy's PATH directories. */
  path: readonly string[];
  home: string;
  /** Where LANG/TERM/TZ are taken from (default: this process). */
  parent?: NodeJS.ProcessEnv;
}

/** The minimal environment every child starts from. */
export function baseChildEnv(opts: ChildEnvOptions): Record<string, string> {
  const parent = opts.parent ?? process.env;
  const env: Record<string, string> = {
    PATH: opts.path.join(':'),
    HOME: opts.home,
    LANG: parent.LANG && !parent.LANG.includes('\0') ? parent.LANG : 'C.UTF-8',
    TERM: parent.TERM && /^[A-Za-z0-9._+-]{1,64}$/.test(parent.TERM) ? parent.TERM : 'dumb',
  };
  if (parent.TZ && /^[A-Za-z0-9._+:/-]{1,64}$/.test(parent.TZ)) env.TZ = parent.TZ;
  return env;
}

/** The base env plus the request's variables, or every refusal. `base` may be precomputed. */
export function buildChildEnv(request: Record<string, string> | undefined, opts: ChildEnvOptions, base?: Readonly<Record<string, string>>): ChildEnvResult {
  const env: Record<string, string> = { ...(base ?? baseChildEnv(opts)) };
  const refused: EnvRefusal[] = [];
  for (const [key, value] of Object.entries(request ?? {})) {
    const why = envKeyRefusal(key) ?? (typeof value !== 'string' || value.includes('\0') ? 'value contains a NUL byte' : undefined);
    if (why) refused.push({ key, reason: why });
    else env[key] = value;
  }
  return refused.length > 0 ? { ok: false, refused } : { ok: true, env };
}
