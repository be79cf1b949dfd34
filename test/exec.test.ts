/**
 * The exec plane as a user drives it, through bin/openclaw: enqueue → worker → status → ledger
 * verify, `exec run`, on the embedded store with no server and on a real Postgres named by
 * `exec.store`; health against a real HTTP model endpoint; the kill switch; checkpoints and
 * tampering; units and the fallback background worker.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../packages/exec/test/support/postgres.js';
import { freshHome, openclaw } from './run-cli.js';

const pg = usePostgres();
const gitEnv = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@x',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@x',
  HOME: '/nonexistent',
  PATH: '/usr/bin:/bin',
};
const pidFiles: string[] = [];
const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});
afterEach(() => {
  // A fallback worker must never outlive its test.
  for (const f of pidFiles.splice(0)) {
    try {
      process.kill(JSON.parse(readFileSync(f, 'utf8')).pid, 'SIGKILL');
    } catch {}
  }
});

/** A home with a local repo (Makefile tests, docs), its allowlist entry, and optional config. */
function world(config = '') {
  const home = freshHome();
  homes.push(home);
  const repo = join(home, 'demo');
  mkdirSync(join(repo, 'docs'), { recursive: true });
  writeFileSync(join(repo, 'Makefile'), 'test:\n\t@echo "3 tests passed"\n');
  writeFileSync(join(repo, 'docs/index.md'), '# Demo\n\nThe demo [docs](https://example.com).\n');
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env: gitEnv, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'init');
  const sha = git('rev-parse', 'HEAD');
  writeFileSync(join(home, 'repo_allowlist.yaml'), `version: 1\nrepos:\n  demo:\n    url: ${repo}\n`);
  writeFileSync(join(home, 'openclaw.yaml'), `version: 1\n${config}`);
  const run = (args: string[], env: Record<string, string> = {}) => ({ ...openclaw(args, { home, env }), home });
  return { home, repo, sha, run };
}

const gatewayFull = 'tools:\n  exec:\n    host: gateway\n    security: full\n';

describe.each(['sqlite', 'postgres'] as const)('exec on the %s store, as a user', (kind) => {
  it('enqueue → worker --once → status → ledger verify; exec run', () => {
    const store = kind === 'postgres' ? `exec:\n  store: ${pg().url}\n` : '';
    const { run, sha } = world(`${gatewayFull}${store}`);

    const q = run(['exec', 'enqueue', 'test_runner_task', '--param', 'runner=make', '--repo', 'demo', '--ref', sha]);
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    const id = /^queued (j_[0-9a-z]+) test_runner_task demo@/.exec(q.stdout)?.[1] as string;
    expect(id).toBeTruthy();

    const w = run(['exec', 'worker', '--once']);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain(`${id} test_runner_task completed`);
    expect(w.stderr).toContain(`on ${kind} store`);

    const s = run(['exec', 'status', '--json']);
    expect(s.code).toBe(0);
    // Piped stdin is not an argument (oclif would read a missing argument from it).
    expect(openclaw(['exec', 'status', '--json'], { home: s.home, input: 'j_not_a_job\n' }).code).toBe(0);
    expect(s.json()).toMatchObject({ store: { kind }, jobs: { completed: 1, queued: 0 }, recent: [{ id, state: 'completed' }] });
    const one = run(['exec', 'status', id, '--json']).json();
    expect(one.events.map((e: { type: string }) => e.type)).toEqual(['enqueue', 'claim', 'exec.started', 'exec.finished', 'complete']);
    expect(readFileSync(join(one.artifact_dir, 'evidence.json'), 'utf8')).toContain('3 tests passed');

    const v = run(['exec', 'ledger', 'verify']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^ok \d+ records verified in \d+ ms, head #\d+/);

    const r = run(['exec', 'run', '--', 'ls', '-a']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain('openclaw.yaml');
    expect(run(['exec', 'run', '--', 'ls', '/nonexistent-dir']).code).toBe(2);
    const j = run(['exec', 'run', '--json', '--command', 'echo one | tr a-z A-Z']);
    expect(j.json()).toMatchObject({ decision: 'allow', exitCode: 0, evidence: [{ argv: ['echo', 'one'], piped: true }, { stdout: 'ONE\n' }] });
    expect(run(['exec', 'ledger', 'verify', '--json']).json()).toMatchObject({ ok: true });
  });
});

describe('exec run decisions', () => {
  it('denies with 77 on the default policy, and the denial is in the ledger', () => {
    const { run } = world();
    const r = run(['exec', 'run', '--host', 'gateway', '--', 'ls']);
    expect(r.code).toBe(77);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^denied: security is deny \(default\) for host gateway\nhint: /);
    const tail = run(['exec', 'ledger', 'tail', '--json']);
    expect(JSON.parse(tail.stdout.trim())).toMatchObject({ seq: 1, type: 'exec.denied', data: { reasons: [{ code: 'security_deny' }] } });
  });

  it('times out with 124', () => {
    const { run } = world(gatewayFull);
    const r = run(['exec', 'run', '--timeout', '1', '--', 'sleep', '10']);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/timed out/);
  });

  it('runs host sandbox inside bwrap: no network, read-only root', () => {
    const { run } = world();
    const r = run(['exec', 'run', '--json', '--command', 'cat /proc/net/dev ; touch /usr/openclaw-probe']);
    const out = r.json();
    expect(out.launcher).toBe('bwrap');
    expect(out.evidence[0].stdout).not.toMatch(/eth|ens|veth/);
    expect(out.evidence[1].stderr).toMatch(/Read-only file system/);
  });
});

describe('kill switch', () => {
  it('stops claims and runs until it is off', () => {
    const { run, sha } = world(gatewayFull);
    expect(run(['exec', 'kill-switch', 'on', '--reason', 'drill']).stdout).toMatch(/^kill_switch=on reason="drill" by=cli/);
    run(['exec', 'enqueue', 'repo_index_task', '--repo', 'demo', '--ref', sha]);
    const w = run(['exec', 'worker', '--once']);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('0 job(s) claimed; the kill switch is on');
    const r = run(['exec', 'run', '--', 'true']);
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/kill switch is on \(drill\)/);
    run(['exec', 'kill-switch', 'off']);
    expect(run(['exec', 'worker', '--once']).stdout).toMatch(/repo_index_task completed/);
  });
});

describe('ledger checkpoint and tampering', () => {
  it('a truncated or edited ledger fails verify with exit 3 and names the record', () => {
    const { run, home } = world(gatewayFull);
    for (let i = 0; i < 5; i++) run(['exec', 'run', '--', 'true']);
    const cp = run(['exec', 'ledger', 'checkpoint', '--json']).json();
    expect(cp.checkpoint).toMatchObject({ seq: 10, kind: 'openclaw-ledger-checkpoint' });
    expect(run(['exec', 'ledger', 'verify', '--checkpoint', cp.out]).code).toBe(0);

    const exported = join(home, 'ledger.jsonl');
    expect(run(['exec', 'ledger', 'export', '--out', exported]).code).toBe(0);
    expect(run(['exec', 'ledger', 'verify', '--input', exported]).code).toBe(0);

    const db = new DatabaseSync(join(home, 'state/exec.db'));
    db.exec('DELETE FROM ledger WHERE seq > 8');
    const plain = run(['exec', 'ledger', 'verify']);
    expect(plain.code).toBe(0);
    const truncated = run(['exec', 'ledger', 'verify', '--checkpoint', cp.out]);
    expect(truncated.code).toBe(3);
    expect(truncated.stdout).toMatch(
      /^BAD the ledger ends at seq 8 but the checkpoint signed seq 10: records 9\.\.10 were removed\n {2}first bad record: seq 9/,
    );
    db.exec(`UPDATE ledger SET body = replace(body, '"exec.started"', '"exec.startee"') WHERE seq = 3`);
    db.close();
    const edited = run(['exec', 'ledger', 'verify', '--json']);
    expect(edited.code).toBe(3);
    expect(edited.json().problem).toMatchObject({ code: 'hash_mismatch', seq: 3 });
  });
});

describe('health', () => {
  it('reports the seed’s keys and probes a real model endpoint', async () => {
    const { run } = world();
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/v1/models' ? JSON.stringify({ data: [{ id: 'local-model' }] }) : '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      // spawnSync would block the event loop serving the endpoint: run the CLI asynchronously.
      const { spawn } = await import('node:child_process');
      const { BIN } = await import('./run-cli.js');
      const out = await new Promise<string>((resolve) => {
        const c = spawn(BIN, ['exec', 'health', '--json'], {
          env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', OPENCLAW_HOME: world().home, OPENCLAW_MODEL_API_BASE: `http://127.0.0.1:${port}/v1` },
        });
        let s = '';
        c.stdout.on('data', (b) => (s += b));
        c.on('close', () => resolve(s));
      });
      const h = JSON.parse(out);
      expect(h).toMatchObject({
        kill_switch: false,
        events: 0,
        last_event: null,
        model_stub_mode: false,
        model_api_base: `http://127.0.0.1:${port}/v1`,
        model_reachable: true,
        model_detail: 'http 200 models=local-model',
        store: { kind: 'sqlite', ok: true },
        sandbox: { backend: 'bwrap' },
        workers: [],
      });
      expect(h.ledger_path).toMatch(/state\/exec\.db$/);
    } finally {
      server.close();
    }
    const human = run(['exec', 'health'], { OPENCLAW_MODEL_API_BASE: 'http://127.0.0.1:9/v1' });
    expect(human.code).toBe(0);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe('summary kill_switch=false events=0 model_stub=false model_reachable=false');
    const stub = run(['exec', 'health'], { OPENCLAW_MODEL_STUB: '1' });
    expect(stub.stdout).toMatch(/summary kill_switch=false events=0 model_stub=true model_reachable=unknown\n$/);
  });

  it('an unreachable Postgres store: health exits 3 with the reason, exec run is denied (77)', () => {
    const { run } = world('exec:\n  store: postgres://nobody@127.0.0.1:9/none\n');
    const h = run(['exec', 'health', '--json']);
    expect(h.code).toBe(3);
    expect(h.json()).toMatchObject({ store: { kind: 'postgres', ok: false }, kill_switch: null, events: null });
    // Nothing runs that cannot be recorded.
    const r = run(['exec', 'run', '--host', 'gateway', '--security', 'full', '--', 'true']);
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/^error: cannot open the Postgres store postgres:\/\/nobody@127\.0\.0\.1:9\/none/);
  });
});

describe('service: units and the fallback worker (no user bus here: systemd as PID 1 cannot run in this container)', () => {
  it('install-units writes the unit and reports the blocked reload', () => {
    const { run, home } = world();
    const dir = join(home, 'units');
    const r = run(['exec', 'install-units', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^install_units=ok unit=openclaw-exec-worker\.service path=/);
    expect(r.stdout).toMatch(/\ndaemon_reload=blocked reason=systemd_user_unavailable detail=/);
    const unit = readFileSync(join(dir, 'openclaw-exec-worker.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\S+\/bin\/openclaw exec worker --config \S+openclaw\.yaml$/m);
    expect(unit).toContain(`Environment=OPENCLAW_HOME=${home}`);
    expect(unit).toContain('KillSignal=SIGTERM');
  });

  it('start runs a fallback worker with a pid file that does the work; stop stops it', async () => {
    const { run, home, sha } = world(gatewayFull);
    pidFiles.push(join(home, 'run/worker.pid'));
    const start = run(['exec', 'start']);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(
      /^start=blocked reason=systemd_user_unavailable detail=".*"\nfallback_worker=started pid=\d+ log=\S+worker\.log pid_file=\S+worker\.pid\n$/,
    );
    expect(run(['exec', 'start']).stdout).toMatch(/fallback_worker=already_running/);
    const q = run(['exec', 'enqueue', 'doc_compactor_task', '--repo', 'demo', '--ref', sha, '--json']).json();
    let state = '';
    for (let i = 0; i < 200 && state !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = run(['exec', 'status', q.job.id, '--json']).json().job.state;
    }
    expect(state).toBe('completed');
    expect(run(['exec', 'status', '--json']).json().fallback_worker).toMatchObject({ running: true });
    const stop = run(['exec', 'stop']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^stop=blocked reason=systemd_user_unavailable detail=".*"\nfallback_worker=stopped pid=\d+\n$/);
    expect(existsSync(join(home, 'run/worker.pid'))).toBe(false);
    expect(run(['exec', 'stop']).stdout).toMatch(/fallback_worker=not_running/);
    expect(readFileSync(join(home, 'logs/worker.log'), 'utf8')).toMatch(/doc_compactor_task/);
  });
});
