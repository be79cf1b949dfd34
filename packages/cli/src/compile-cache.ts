/**
 * V8's code cache for the CLI's modules (a few milliseconds off every start), kept where only this
 * user can write. Node's default is one folder shared by every user, `$TMPDIR/node-compile-cache`:
 * whoever creates it first owns what the others load from it — cached bytecode, run as the code of
 * every later openclaw, root's included. So the cache is `$XDG_CACHE_HOME/openclaw/node-compile-cache`
 * (default `~/.cache`), used only when it and every folder above it belong to this user or root and
 * no one else can change them (a sticky folder such as /tmp is fine: others cannot rename what is
 * ours in it) — otherwise the CLI runs without a cache. NODE_COMPILE_CACHE, when set, is the user's
 * own choice: Node has then enabled it before any of this runs.
 */
// Builtins straight from the process: an ES import of each would be a module file of its own
// (scripts/build.mjs), loaded before anything else on every start.
const { lstatSync, mkdirSync, realpathSync } = process.getBuiltinModule('node:fs');
const { dirname, isAbsolute, join } = process.getBuiltinModule('node:path');
const homedir = () => process.getBuiltinModule('node:os').homedir();

const STICKY = 0o1000;

/** Whether no one but `uid` and root can change what `dir` (and every folder above it) holds. */
function safeDir(dir: string, uid: number): boolean {
  let d = realpathSync(dir);
  for (let first = true; ; first = false) {
    const st = lstatSync(d);
    if (!st.isDirectory() || (st.uid !== uid && st.uid !== 0)) return false;
    // The folder itself must be ours alone; above it, a sticky world-writable folder will do.
    if (st.mode & 0o022 && (first || !(st.mode & STICKY))) return false;
    const up = dirname(d);
    if (up === d) return true;
    d = up;
  }
}

/**
 * The private cache folder, created if missing, or undefined when it cannot be trusted. `enable`
 * is Node's module.enableCompileCache (a parameter so tests need not turn it on for themselves).
 */
export function enablePrivateCompileCache(enable: (dir: string) => unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const xdg = env.XDG_CACHE_HOME;
  let base: string;
  try {
    base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  } catch {
    return undefined;
  }
  const app = join(base, 'openclaw');
  const dir = join(app, 'node-compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!safeDir(dir, uid)) return undefined;
  } catch {
    return undefined;
  }
  enable(dir);
  return dir;
}
