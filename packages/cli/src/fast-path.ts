/**
 * The fast path for hot commands (see run.ts). oclif's `Command` reads only a few fields of its
 * config while parsing and running; `createLightConfig` provides exactly those, so a command runs
 * the same code — oclif's parser, our base class, the command — without the full config load.
 */

/** Injected by scripts/build.mjs: command id → module path relative to dist/run.js. */
declare const __OPENCLAW_FAST_COMMANDS__: Record<string, string>;
declare const __OPENCLAW_VERSION__: string;

export const VERSION: string = typeof __OPENCLAW_VERSION__ === 'string' ? __OPENCLAW_VERSION__ : '0.0.0-dev';
const platform = process.platform === 'linux' && /microsoft/i.test(process.env.WSL_DISTRO_NAME ? 'microsoft' : '') ? 'wsl' : process.platform;
/** Same text as oclif's `config.userAgent`. */
export const USER_AGENT = `openclaw/${VERSION} ${platform}-${process.arch} node-${process.version}`;

export const FAST_COMMANDS: Record<string, string> = typeof __OPENCLAW_FAST_COMMANDS__ === 'object' ? __OPENCLAW_FAST_COMMANDS__ : {};

export interface FastCommandClass {
  id?: string;
  args?: Record<string, unknown>;
  new (argv: string[], config: unknown): { _run(): Promise<unknown> };
}

export interface FastMatch {
  id: string;
  module: string;
  argv: string[];
}

/**
 * The fast command `argv` names, if any: its words come first (`policy check …`), and help is not
 * asked for (help needs the full config).
 */
export function findFastCommand(argv: readonly string[], table: Record<string, string>): FastMatch | undefined {
  const end = argv.indexOf('--');
  const before = end === -1 ? argv : argv.slice(0, end);
  if (before.includes('--help') || before.includes('-h')) return undefined;
  for (const [id, module] of Object.entries(table)) {
    const words = id.split(':');
    if (words.every((w, i) => argv[i] === w)) return { id, module, argv: argv.slice(words.length) };
  }
  return undefined;
}

/** The part of oclif's Config that `Command` uses while parsing and running. */
export function createLightConfig(command: FastCommandClass & { id: string }) {
  const scoped = (k: string) => `OPENCLAW_${k}`;
  return {
    name: 'openclaw',
    bin: 'openclaw',
    binAliases: undefined,
    version: VERSION,
    userAgent: USER_AGENT,
    platform,
    arch: process.arch,
    pjson: { name: 'openclaw', version: VERSION, oclif: { bin: 'openclaw', topicSeparator: ' ' } },
    topicSeparator: ' ',
    /** Read by oclif's deprecation check to recognise the command id in argv. */
    commandIDs: Object.keys(FAST_COMMANDS),
    theme: undefined,
    scopedEnvVarKey: scoped,
    scopedEnvVarKeys: (k: string) => [scoped(k)],
    scopedEnvVar: (k: string) => process.env[scoped(k)],
    scopedEnvVarTrue: (k: string) => ['1', 'true'].includes(process.env[scoped(k)] ?? ''),
    runHook: async () => ({ successes: [], failures: [] }),
    /** oclif's argv normalisation asks whether a command takes arguments. */
    findCommand: (id: string) => (id === command.id ? { id, args: command.args ?? {}, aliases: [], hiddenAliases: [] } : undefined),
  };
}
