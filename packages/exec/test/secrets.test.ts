/**
 * The secrets store: the lookup order (env → 0600 file → keychain), files refused when others could
 * read or swap them, and — with a real agent job that uses the model key — proof that the secret
 * never reaches any child's argv or env (/proc scanned while the children run), the ledger, the logs
 * or the artifacts.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { agentRuntime } from '../src/agent/runtime.js';
import { getSecret, type Keychain, readSecretFile, systemKeychain, writeSecretFile } from '../src/secrets/store.js';
import { FS_SERVER, MCPORTER, runAgentJob } from './support/agent.js';

const KEY = 'sk-test-0123456789abcdefCANARY';

function homeWith(mode: number, opts: { symlink?: boolean; uid?: number } = {}): string {
  const home = testdir();
  mkdirSync(join(home, 'secrets'), { mode: 0o700 });
  const file = join(home, 'secrets/openai');
  if (opts.symlink) {
    writeFileSync(join(home, 'elsewhere'), KEY, { mode: 0o600 });
    symlinkSync(join(home, 'elsewhere'), file);
  } else {
    writeFileSync(file, `${KEY}\n`, { mode });
    chmodSync(file, mode);
    if (opts.uid !== undefined) chownSync(file, opts.uid, opts.uid);
  }
  return home;
}

const noKeychain = null;

describe('secrets: lookup order and file checks', () => {
  it.each([
    ['OPENCLAW_SECRET_OPENAI wins over the file', { OPENCLAW_SECRET_OPENAI: 'from-env' }, 'env', 'from-env'],
    ['OPENAI_API_KEY is the usual name for openai', { OPENAI_API_KEY: 'from-alias' }, 'env', 'from-alias'],
    ['else the 0600 file (its final newline dropped)', {}, 'file', KEY],
  ])('%s', async (_name, env, source, value) => {
    const r = await getSecret('openai', { home: homeWith(0o600), env, keychain: noKeychain });
    expect(r).toMatchObject({ source, value });
  });

  const root = process.getuid?.() === 0;
  it.each([
    ['group-readable (0640)', () => homeWith(0o640), /mode is 0640/, 'chmod 600'],
    ['world-readable (0644)', () => homeWith(0o644), /mode is 0644/, 'chmod 600'],
    ['a symlink', () => homeWith(0o600, { symlink: true }), /symlink/, 'openclaw secrets set openai'],
    ...(root ? ([['owned by another user (uid 4242, made by root here)', () => homeWith(0o600, { uid: 4242 }), /owned by uid 4242/, 'chown']] as const) : []),
  ] as [string, () => string, RegExp, string][])('refuses a secret file that is %s, with the fix', async (_name, make, reason, hint) => {
    await expect(getSecret('openai', { home: make(), env: {}, keychain: noKeychain })).rejects.toMatchObject({
      code: 'secret_file_insecure',
      reason: expect.stringMatching(reason),
      hint: expect.stringContaining(hint),
    });
  });

  it('says where it looked when the secret is nowhere', async () => {
    const r = await getSecret('openai', { home: testdir(), env: {}, keychain: noKeychain });
    expect(r).toMatchObject({
      value: null,
      source: null,
      detail: expect.stringMatching(/OPENCLAW_SECRET_OPENAI, OPENAI_API_KEY; .*secrets\/openai; no keychain/),
    });
  });

  it('writes the file 0600 in a 0700 directory, and reads it back', () => {
    const home = testdir();
    const path = writeSecretFile(home, 'openai', KEY);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'secrets')).mode & 0o777).toBe(0o700);
    expect(readSecretFile(home, 'openai')).toEqual({ value: KEY, path });
    expect(readdirSync(join(home, 'secrets'))).toEqual(['openai']);
  });

  it('a keychain comes after the file (an in-memory stand-in: this machine has no secret-tool)', async () => {
    const stored = new Map([['openai', 'from-keychain']]);
    const kc: Keychain = { name: 'test keychain', get: (n) => stored.get(n) ?? null, set: (n, v) => void stored.set(n, v) };
    expect(await getSecret('openai', { home: testdir(), env: {}, keychain: kc })).toMatchObject({ source: 'keychain', value: 'from-keychain' });
    expect(await getSecret('openai', { home: homeWith(0o600), env: {}, keychain: kc })).toMatchObject({ source: 'file' });
  });

  const secretTool = spawnSync('sh', ['-c', 'command -v secret-tool'], { encoding: 'utf8' }).status === 0;
  it.runIf(!secretTool)('the system keychain is reported absent where secret-tool is not installed (as on this machine)', () => {
    expect(systemKeychain()).toBeNull();
  });
});

/** Every other process's argv and env, read while they run. */
function scanProcs(seen: Map<number, string>): void {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const text = `${readFileSync(`/proc/${pid}/cmdline`, 'utf8')}\0${readFileSync(`/proc/${pid}/environ`, 'utf8')}`;
      if (text.length > 1) seen.set(Number(pid), text);
    } catch {}
  }
}

describe('secrets: never in a child’s argv or env, the ledger, the logs or the artifacts', () => {
  it('an agent job using the model key from the secrets file', async () => {
    const home = homeWith(0o600);
    const seen = new Map<number, string>();
    let scans = 0;
    const timer = setInterval(() => {
      scanProcs(seen);
      scans++;
    }, 2);
    let out: Awaited<ReturnType<typeof runAgentJob>>;
    try {
      out = await runAgentJob({
        home,
        modelSettings: (base, h) => ({
          ...(agentRuntime({ exec: { model: { apiBase: base } } }, null, h, ['/usr/bin', '/bin'], {}).model as NonNullable<
            ReturnType<typeof agentRuntime>['model']
          >),
        }),
        mcp: (ws, h) => {
          const config = join(h, 'mcporter.json');
          writeFileSync(config, JSON.stringify({ mcpServers: { fs: { command: process.execPath, args: [FS_SERVER, ws] } } }));
          return { binary: MCPORTER, config, allowTools: ['fs.list_directory'], home: h };
        },
        script: (n) =>
          n === 0
            ? {
                tools: [
                  { name: 'run_command', args: { command: 'sleep 0.3 && cat notes.txt' } },
                  { name: 'mcp__fs__list_directory', args: { path: '/' } },
                ],
              }
            : { content: 'done' },
      });
    } finally {
      clearInterval(timer);
    }
    expect(out.report?.state, out.report?.error).toBe('completed');
    // The key was used: the model got it in the Authorization header.
    const chats = out.model.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats.length).toBe(2);
    for (const r of chats) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    // The scan saw the children it is meant to check (sandbox, mcporter, the MCP server).
    const all = [...seen.values()];
    expect(scans).toBeGreaterThan(10);
    expect(all.some((t) => t.includes('bwrap'))).toBe(true);
    expect(all.some((t) => t.includes('mcporter'))).toBe(true);
    expect(all.some((t) => t.includes('server-filesystem'))).toBe(true);
    expect(all.filter((t) => t.includes(KEY))).toEqual([]);
    expect(out.ledger.filter((b) => b.includes(KEY))).toEqual([]);
    expect(out.logs.filter((l) => l.includes(KEY))).toEqual([]);
    const artifacts = join(home, 'artifacts', out.job.id);
    for (const f of readdirSync(artifacts)) expect(readFileSync(join(artifacts, f), 'utf8')).not.toContain(KEY);
  });
});
