#!/usr/bin/env node
/**
 * Builds the `openclaw` binary into packages/cli/dist:
 *   - one ESM bundle per command (dist/commands/<topic>/<name>.js) plus shared chunks, so running a
 *     command loads only its own code; third-party libraries are bundled except @oclif/core;
 *   - dist/run.js (the entry) and the oclif hooks;
 *   - packages/cli/oclif.manifest.json, so listing and help never import a command module.
 * Commands are gathered from each package named in packages/cli/package.json `openclaw.packages`:
 * every file under that package's src/commands/ is a command whose id is its path.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'packages/cli');
const cliPkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8'));
const dist = join(cliDir, 'dist');

function packageDir(name) {
  for (const d of readdirSync(join(root, 'packages'))) {
    const p = join(root, 'packages', d, 'package.json');
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).name === name) return join(root, 'packages', d);
  }
  throw new Error(`package ${name} listed in packages/cli/package.json is not in packages/`);
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Command files: src/commands/**\/*.ts except index.ts-less helpers (files starting with `_`) and tests. */
const entryPoints = {};
const owners = {};
for (const name of cliPkg.openclaw.packages) {
  const commandsDir = join(packageDir(name), 'src/commands');
  for (const file of walk(commandsDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.split(sep).pop().startsWith('_')) continue;
    const rel = relative(commandsDir, file).slice(0, -3);
    const id = rel
      .split(sep)
      .filter((p) => p !== 'index')
      .join(':');
    if (owners[id]) throw new Error(`command ${id} is defined by both ${owners[id]} and ${name}`);
    owners[id] = name;
    entryPoints[`commands/${rel}`] = file;
  }
}
entryPoints.run = join(cliDir, 'src/run.ts');
for (const file of walk(join(cliDir, 'src/hooks'))) entryPoints[`hooks/${relative(join(cliDir, 'src/hooks'), file).slice(0, -3)}`] = file;
for (const file of walk(join(cliDir, 'src/commands'))) {
  const rel = relative(join(cliDir, 'src/commands'), file).slice(0, -3);
  entryPoints[`commands/${rel}`] = file;
}
// Extra runnable entries packages need at run time (workers, sandbox probes): `openclaw.entries`.
for (const name of cliPkg.openclaw.packages) {
  const pkg = JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8'));
  for (const [out, src] of Object.entries(pkg.openclaw?.entries ?? {})) entryPoints[out] = join(packageDir(name), src);
}

/**
 * @oclif/core is CommonJS whose modules `require` their whole graph at load time (help rendering,
 * templating, globbing, semver), ~25 ms before any command runs. This rewrites its top-level
 * `const x = require("y")` into a proxy that loads y on first use, so a command pays only for what
 * it touches (SPEC §9: start-up ≤ 2.5× `node -e 0`). Behaviour is unchanged: the same modules load,
 * later.
 */
const lazyRequires = {
  name: 'lazy-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8')
        // WSL detection without loading another module (see lightDependencies)
        .replace(
          "(await import('wsl-utils')).isWsl",
          "require('node:fs').existsSync('/proc/version') && /microsoft/i.test(require('node:fs').readFileSync('/proc/version', 'utf8')) && !process.env.container",
        )
        // node:fs/promises costs ~3 ms to load, and each awaited call a thread-pool round trip; oclif
        // reads a handful of small files at start-up, which the synchronous calls do faster.
        .replace(/require\("node:fs\/promises"\)/g, '__ocFsPromises()');
      const contents = source.replace(
        /^(const|var) (\w+) = ((?:__importDefault|__importStar)\()?require\(("[^"]+")\)(\))?;$/gm,
        (_m, kind, name, wrap, spec, close) => `${kind} ${name} = __ocLazy(() => ${wrap ?? ''}require(${spec})${close ?? ''});`,
      );
      const helper =
        'let __ocFsP; function __ocFsPromises() { const fs = require("node:fs"), { promisify } = require("node:util"); return (__ocFsP ??= new Proxy({}, { get: (_, k) => k === "constants" ? fs.constants : typeof fs[`${k}Sync`] === "function" ? async (...a) => fs[`${k}Sync`](...a) : typeof fs[k] === "function" ? promisify(fs[k]) : undefined })); }\n' +
        'function __ocLazy(load) { let m; const t = () => (m ??= load()); return new Proxy({}, {' +
        ' get: (_, k) => t()[k], set: (_, k, v) => ((t()[k] = v), true), has: (_, k) => k in t(),' +
        ' ownKeys: () => Reflect.ownKeys(t()),' +
        ' getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(t(), k); if (d) d.configurable = true; return d; } }); }\n';
      return { contents: helper + contents, loader: 'js' };
    });
  },
};

/**
 * Two of oclif's dependencies cost more at start-up than everything we run: `debug` (tty and
 * supports-color probing on every start) and `wsl-utils` (child_process and PowerShell helpers, only
 * to learn whether this is WSL). They are replaced by shims with the same behaviour for oclif's use:
 * the real `debug` still loads when DEBUG is set; WSL is detected from /proc/version, as is-wsl does.
 */
const lightDependencies = {
  name: 'light-dependencies',
  setup(build) {
    build.onResolve({ filter: /^(debug|wsl-utils)$/ }, (args) =>
      args.importer.includes('@oclif') && !args.importer.includes('light-shim')
        ? { path: args.path, namespace: 'light-shim', pluginData: { resolveDir: args.resolveDir } }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'light-shim' }, (args) => ({
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
      contents:
        args.path === 'debug'
          ? `const off = Object.assign(() => {}, { enabled: false, log() {}, extend: () => off, destroy() {} });
             module.exports = (namespace) => process.env.DEBUG ? require('debug')(namespace) : Object.assign(() => {}, off, { namespace });
             module.exports.enabled = () => false;`
          : `import { readFileSync } from 'node:fs';
             let text = '';
             try { text = process.platform === 'linux' ? readFileSync('/proc/version', 'utf8') : ''; } catch {}
             export const isWsl = /microsoft/i.test(text) && !process.env.container;`,
    }));
  },
};

/**
 * `import … from 'node:fs'` in an ES module makes Node build a facade of every export of the
 * builtin, which runs its lazy getters (fs.promises, readline's history…): ~7 ms at start-up for
 * nothing. Imports of builtins are turned into `require()`, whose properties are read on use.
 */
const builtinsAsRequire = {
  name: 'builtins-as-require',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path, namespace: 'builtin-require' }
        : { path: args.path, external: true },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

rmSync(dist, { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: [...(cliPkg.openclaw.external ?? [])],
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies call require(); process.getBuiltinModule avoids an ESM import of
  // node:module, whose facade costs milliseconds at start-up.
  banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
  define: {
    __OPENCLAW_VERSION__: JSON.stringify(cliPkg.version),
    __OPENCLAW_FAST_COMMANDS__: JSON.stringify(
      Object.fromEntries(
        (cliPkg.openclaw.fastCommands ?? []).map((id) => {
          if (!owners[id]) throw new Error(`fast command ${id} is not a command`);
          return [id, `./commands/${id.replaceAll(':', '/')}.js`];
        }),
      ),
    ),
  },
  legalComments: 'none',
  plugins: [lazyRequires, lightDependencies, builtinsAsRequire],
  logLevel: 'warning',
  metafile: false,
});

/**
 * Native addons (`openclaw.native` in a package's package.json: name → C source), built with Node-API
 * so one binary serves every Node version. Each is compiled into `<package>/native/build/<name>.node`
 * (where the package's sources find it under vitest) and copied to `dist/native/<name>.node` (where
 * the bundled CLI finds it). Without a C compiler or Node's headers the build goes on and says so:
 * the code that needs an addon refuses to work (fails closed) and names this step as the fix.
 */
function buildNativeAddons() {
  const headers = [join(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'].find((d) =>
    existsSync(join(d, 'node_api.h')),
  );
  for (const name of cliPkg.openclaw.packages) {
    const dir = packageDir(name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const [addon, src] of Object.entries(pkg.openclaw?.native ?? {})) {
      const source = join(dir, src);
      const out = join(dir, 'native/build', `${addon}.node`);
      const fresh = existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs;
      if (!fresh) {
        if (!headers) {
          process.stderr.write(`build: WARNING: no Node-API headers (node_api.h) next to ${process.execPath}; ${addon}.node not built\n`);
          continue;
        }
        mkdirSync(dirname(out), { recursive: true });
        const cc = process.env.CC || 'cc';
        const flags = [
          '-O2',
          '-shared',
          '-fPIC',
          '-Wall',
          '-Wextra',
          `-I${headers}`,
          ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
        ];
        const r = spawnSync(cc, [...flags, source, '-o', `${out}.tmp`], { encoding: 'utf8' });
        if (r.status !== 0) {
          process.stderr.write(
            `build: WARNING: could not compile ${relative(root, source)} with ${cc} (${r.error?.message ?? r.stderr.trim()}); ${addon}.node not built — install a C compiler (apt-get install gcc) and rerun\n`,
          );
          continue;
        }
        renameSync(`${out}.tmp`, out);
      }
      mkdirSync(join(dist, 'native'), { recursive: true });
      copyFileSync(out, join(dist, 'native', `${addon}.node`));
    }
  }
}
buildNativeAddons();

// The manifest: load every command once (build time only) and cache its flags, args and help.
const require = createRequire(join(cliDir, 'package.json'));
const { Plugin } = await import(require.resolve('@oclif/core'));
const plugin = new Plugin({ root: cliDir, ignoreManifest: true, errorOnManifestCreate: true, isRoot: true, type: 'core' });
await plugin.load();
const manifest = plugin.manifest;
writeFileSync(join(cliDir, 'oclif.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const { commandReference } = await import('./command-reference.mjs');
writeFileSync(join(root, 'docs/commands.md'), commandReference(manifest));
const ids = Object.keys(manifest.commands).sort();
process.stderr.write(`build: ${ids.length} commands → packages/cli/dist (and docs/commands.md)\n`);
