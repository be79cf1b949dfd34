/**
 * End to end, with the built binary: a review bundle as a person makes it, and the review-gated push
 * — `git push` to a local bare remote is refused by the pre-push hook until `openclaw review run`
 * (not simulated, against a fake OpenAI-compatible model on loopback) approved exactly that range.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freshHome, openclaw } from './run-cli.js';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'E2E',
  GIT_AUTHOR_EMAIL: 'e2e@example.com',
  GIT_COMMITTER_NAME: 'E2E',
  GIT_COMMITTER_EMAIL: 'e2e@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

function sh(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...GIT_ENV, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** Like sh, without blocking the event loop: the fake model in this process must answer meanwhile. */
function shAsync(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...GIT_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr }));
  });
}

function git(cwd: string, ...args: string[]): string {
  const r = sh(cwd, 'git', args);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let base = '';
let server: ReturnType<typeof createServer>;
const seen: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      seen.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model: 'fake-reviewer-1', choices: [{ message: { role: 'assistant', content: '{"verdict": "APPROVED", "blockers": []}' } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('openclaw review-bundle (binary)', () => {
  it('packets under --size-cap 100kb that git apply back to TO; --json; exit 6 with --strict; exit 2 for a bad SHA', () => {
    const home = freshHome();
    const repo = join(home, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'app.txt'), 'start\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'base');
    const since = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'app.txt'), Array.from({ length: 20_000 }, (_, i) => `line ${i} of the change`).join('\n'));
    writeFileSync(join(repo, 'notes.md'), '# notes\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'change');
    const r = openclaw(['review-bundle', '--since', since, '--size-cap', '100kb', '--out', join(home, 'out'), '--stamp', 's1', '--json'], { home, cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const a = r.json();
    expect(a).toMatchObject({
      size_cap_exceeded: true,
      warnings: ['SIZE_CAP_EXCEEDED'],
      review_packets_dir: 'review_packets/s1',
      review_packets_archive: 'ORB_REVIEW_PACKETS.tar.gz',
    });
    const dir = join(home, 'out', 'review_packets', 's1');
    const packets = readdirSync(dir)
      .filter((f) => f.startsWith('packet_'))
      .sort();
    expect(packets.length).toBeGreaterThan(3);
    const check = join(home, 'check');
    git(repo, 'worktree', 'add', '-q', '--detach', check, since);
    for (const p of packets) {
      expect(readFileSync(join(dir, p)).length).toBeLessThanOrEqual(100 * 1024);
      expect(sh(check, 'git', ['apply', join(dir, p)]).code).toBe(0);
    }
    git(check, 'add', '-A');
    expect(git(check, 'write-tree')).toBe(git(repo, 'rev-parse', 'HEAD^{tree}'));

    const strict = openclaw(['review-bundle', '--since', since, '--size-cap', '100kb', '--out', join(home, 'strict'), '--strict'], { home, cwd: repo });
    expect(strict.code).toBe(6);
    expect(strict.stderr).toMatch(/^error: the bundle is \d+ bytes, over the size cap of 102400 bytes \(--strict: no packets\)\nhint: /);
    const forced = openclaw(['review-bundle', '--since', 'HEAD~1', '--size-cap', '10mb', '--out', join(home, 'forced'), '--json'], {
      home,
      cwd: repo,
      env: { FORCE_SIZE_CAP: '1' },
    });
    expect(forced.json()).toMatchObject({ size_cap_exceeded: false, size_cap_forced: true, size_cap_fallback: { packet_count: 1 } });
    const bad = openclaw(['review-bundle', '--since', 'deadbeef', '--out', join(home, 'bad')], { home, cwd: repo });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --since "deadbeef" is not a commit in this repository/);
    const cap = openclaw(['review-bundle', '--since', since, '--size-cap', 'lots'], { home, cwd: repo });
    expect(cap.code).toBe(2);
  });

  it('the fast path and the oclif path give the same results', () => {
    const home = freshHome();
    const repo = join(home, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'a.txt'), 'a\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'base');
    writeFileSync(join(repo, 'a.txt'), Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'change');
    const out = join(home, 'out');
    const cases = [
      ['review-bundle', '--since', 'HEAD~1', '--size-cap', '8kb', '--out', out, '--stamp', 'p', '--json'],
      ['review-bundle', '--since', 'HEAD~1', '--size-cap', '8kb', '--out', out, '--stamp', 'p'],
      ['review-bundle', '--since', 'HEAD~1', '--out', out, '--json'],
      ['review-bundle', '--since', 'HEAD~1', '--size-cap', '8kb', '--out', out, '--strict'],
      ['review-bundle', '--since', 'deadbeef', '--out', out],
      ['review-bundle', '--since', 'HEAD~1', '--size-cap', 'lots'],
      ['review-bundle', '--out', out],
      ['review-bundle', '--since', 'HEAD~1', '--bogus'],
    ];
    for (const args of cases) {
      const fast = openclaw(args, { home, cwd: repo });
      const fastFiles = readdirSync(out, { recursive: true }).map(String).sort();
      const slow = openclaw(args, { home, cwd: repo, env: { OPENCLAW_NO_FAST_PATH: '1' } });
      expect({ code: fast.code, out: fast.stdout, err: fast.stderr, files: fastFiles }, args.join(' ')).toEqual({
        code: slow.code,
        out: slow.stdout,
        err: slow.stderr,
        files: readdirSync(out, { recursive: true }).map(String).sort(),
      });
    }
  });
});

describe('the review-gated push (binary, local bare remote, fake model)', () => {
  it('blocks the push until a real review approved exactly the pushed range', async () => {
    const home = freshHome();
    const repo = join(home, 'repo');
    const remote = join(home, 'remote.git');
    const bin = join(home, 'bin');
    mkdirSync(repo);
    mkdirSync(bin);
    // The hook runs `openclaw` from PATH, as an installed openclaw would be.
    symlinkSync(BIN, join(bin, 'openclaw'));
    const env = { PATH: `${bin}:${process.env.PATH}`, OPENCLAW_MODEL_API_BASE: base, HOME: home, OPENCLAW_HOME: home, NO_COLOR: '1' };
    const run = (cmd: string, ...args: string[]) => shAsync(repo, cmd, args, env);
    git(home, 'init', '-q', '--bare', remote);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'remote', 'add', 'origin', remote);
    writeFileSync(join(repo, 'README'), 'v1\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'v1');
    expect((await run('git', 'push', '-q', 'origin', 'main')).code).toBe(0);
    const installed = await run('openclaw', 'hooks', 'install');
    expect(installed.code, installed.stderr).toBe(0);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'hooks');
    writeFileSync(join(repo, 'README'), 'v2\n');
    git(repo, 'commit', '-qam', 'v2');
    const head = git(repo, 'rev-parse', 'HEAD');

    const refused = await run('git', 'push', 'origin', 'main');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/no review verdict for the pushed range/);
    expect(git(remote, 'rev-parse', 'main')).not.toBe(head);

    const simulated = await run('openclaw', 'review', 'run', '--since', 'origin/main', '--simulate');
    expect(simulated.code, simulated.stderr).toBe(0);
    const refusedSim = await run('git', 'push', 'origin', 'main');
    expect(refusedSim.code).not.toBe(0);
    expect(refusedSim.stdout + refusedSim.stderr).toMatch(/simulated/);

    const wrongRange = await run('openclaw', 'review', 'run', '--since', 'HEAD~1');
    expect(wrongRange.code, wrongRange.stderr).toBe(0);
    expect((await run('git', 'push', 'origin', 'main')).code).not.toBe(0);

    const reviewed = await run('openclaw', 'review', 'run', '--since', 'origin/main', '--json');
    expect(reviewed.code, reviewed.stderr).toBe(0);
    expect(JSON.parse(reviewed.stdout)).toMatchObject({
      verdict: 'APPROVED',
      meta: { simulated: false, reviewer: { version: 'fake-reviewer-1' }, to_sha: head },
    });
    const pushed = await run('git', 'push', 'origin', 'main');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    expect(seen.length).toBeGreaterThan(0);

    // review finish: the baseline commit on top of the reviewed one is the one change tolerated.
    writeFileSync(join(repo, 'README'), 'v3\n');
    git(repo, 'commit', '-qam', 'v3');
    expect((await run('openclaw', 'review', 'run', '--since', 'origin/main')).code).toBe(0);
    const finish = await run('openclaw', 'review', 'finish', '--json');
    expect(finish.code, finish.stderr + finish.stdout).toBe(0);
    expect((await run('git', 'push', 'origin', 'main')).code).toBe(0);
    expect((await run('openclaw', 'update', 'check-gate', '--ref', 'origin/main')).code).toBe(0);
    writeFileSync(join(repo, 'README'), 'v4 unreviewed\n');
    git(repo, 'commit', '-qam', 'v4');
    const gate = await run('openclaw', 'update', 'check-gate', '--ref', 'HEAD');
    expect(gate.code).toBe(3);
    expect(gate.stdout).toMatch(/^FAIL /);
  });
});
