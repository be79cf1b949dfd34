import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdir } from '../../../test/support/tmp.js';
import { generateJsonSchemas } from '../src/config/json-schema.js';
import { ConfigInvalidError, discoverConfig, loadConfig, parseConfigText } from '../src/config/load.js';
import { bundledConfigPath, loadJobAllowlist, loadRepoAllowlist } from '../src/jobs/load.js';

async function issuesOf(text: string) {
  const r = await parseConfigText(text, 'openclaw.yaml');
  if (r.ok) throw new Error('expected problems');
  return r.issues;
}

describe('config: bad input is located', () => {
  it('malformed YAML → file and line', async () => {
    const [i] = await issuesOf('tools:\n  exec:\n    host: [sandbox\n');
    expect(i).toMatchObject({ file: 'openclaw.yaml', line: expect.any(Number) });
    expect(i?.message).toMatch(/invalid YAML/);
  });

  it('duplicate keys are an error with their line', async () => {
    const [i] = await issuesOf('tools:\n  exec:\n    host: sandbox\n    host: gateway\n');
    expect(i?.line).toBe(4);
  });

  it('unknown key → its full path, line and a suggestion', async () => {
    const issues = await issuesOf('tools:\n  exec:\n    hots: gateway\n    security: deny\n');
    expect(issues).toEqual([{ file: 'openclaw.yaml', line: 3, column: 5, path: 'tools.exec.hots', message: 'unknown key "hots" (did you mean "host"?)' }]);
  });

  it('unknown key far from any → lists what is allowed', async () => {
    const [i] = await issuesOf('sandbox:\n  flavour: x\n');
    expect(i?.path).toBe('sandbox.flavour');
    expect(i?.message).toBe('unknown key "flavour" (allowed: backend, image, workspace)');
  });

  it('unknown top-level key', async () => {
    const [i] = await issuesOf('tool:\n  exec: {}\n');
    expect(i).toMatchObject({ path: 'tool', line: 1, message: 'unknown key "tool" (did you mean "tools"?)' });
  });

  it('bad enum → the allowed values', async () => {
    const [i] = await issuesOf('tools:\n  exec:\n    security: allow\n');
    expect(i).toEqual({ file: 'openclaw.yaml', line: 3, column: 15, path: 'tools.exec.security', message: '"allow" is not one of: deny, allowlist, full' });
  });

  it('bad enum inside an agent', async () => {
    const [i] = await issuesOf('agents:\n  main:\n    tools:\n      exec:\n        ask: sometimes\n');
    expect(i?.path).toBe('agents.main.tools.exec.ask');
    expect(i?.message).toBe('"sometimes" is not one of: off, on-miss, always');
  });

  it('wrong type → expected and got', async () => {
    const [i] = await issuesOf('tools:\n  exec:\n    timeoutSec: "ten"\n');
    expect(i).toMatchObject({ path: 'tools.exec.timeoutSec', line: 3, message: 'expected number, got string "ten"' });
  });

  it('relative path in tools.exec.path', async () => {
    const [i] = await issuesOf('tools:\n  exec:\n    path: [bin]\n');
    expect(i).toMatchObject({ path: 'tools.exec.path[0]', message: 'must be an absolute path' });
  });

  it('a scalar document is not a config', async () => {
    const [i] = await issuesOf('just a string\n');
    expect(i?.message).toBe('the top level must be a mapping of keys');
  });

  it('every problem is reported, not just the first', async () => {
    const issues = await issuesOf('tools:\n  exec:\n    host: moon\n    security: maybe\n    extra: 1\n');
    expect(issues.map((i) => i.path).sort()).toEqual(['tools.exec.extra', 'tools.exec.host', 'tools.exec.security']);
  });

  it('an empty file is an empty (default) config', async () => {
    expect(await parseConfigText('', 'x')).toEqual({ ok: true, value: {} });
  });
});

describe('config discovery', () => {
  it('--config, then OPENCLAW_CONFIG, then ./openclaw.yaml, then $OPENCLAW_HOME/openclaw.yaml', () => {
    const d = testdir({ 'cwd/openclaw.yaml': 'version: 1\n', 'home/openclaw.yaml': 'version: 1\n', 'flag.yaml': '', 'env.yaml': '' });
    const env = { OPENCLAW_HOME: join(d, 'home') };
    expect(discoverConfig({ flag: join(d, 'flag.yaml'), cwd: join(d, 'cwd'), env: { ...env, OPENCLAW_CONFIG: join(d, 'env.yaml') } })).toEqual({
      file: join(d, 'flag.yaml'),
      source: 'flag',
    });
    expect(discoverConfig({ cwd: join(d, 'cwd'), env: { ...env, OPENCLAW_CONFIG: join(d, 'env.yaml') } })).toEqual({
      file: join(d, 'env.yaml'),
      source: 'env',
    });
    expect(discoverConfig({ cwd: join(d, 'cwd'), env })).toEqual({ file: join(d, 'cwd/openclaw.yaml'), source: 'cwd' });
    expect(discoverConfig({ cwd: d, env })).toEqual({ file: join(d, 'home/openclaw.yaml'), source: 'home' });
    expect(discoverConfig({ cwd: d, env: { OPENCLAW_HOME: join(d, 'nowhere') } })).toBeUndefined();
  });

  it('a named file that does not exist is an error, not defaults', () => {
    expect(() => discoverConfig({ flag: '/nonexistent/openclaw.yaml' })).toThrow(/does not exist/);
  });

  it('loadConfig throws config_invalid with every issue', async () => {
    const d = testdir({ 'openclaw.yaml': 'tools:\n  exec:\n    host: moon\n' });
    const err = await loadConfig({ cwd: d, env: { OPENCLAW_HOME: d } }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect(err.code).toBe('config_invalid');
    expect(err.reason).toBe(`${join(d, 'openclaw.yaml')}:3:11: tools.exec.host: "moon" is not one of: sandbox, gateway, node`);
  });
});

describe('shipped configs and schemas', () => {
  it('configs/openclaw.yaml, job and repo allowlists load', async () => {
    const cfg = bundledConfigPath('openclaw.yaml') as string;
    expect((await parseConfigText(readFileSync(cfg, 'utf8'), cfg)).ok).toBe(true);
    const jobs = await loadJobAllowlist(bundledConfigPath('job_allowlist.yaml') as string);
    expect(Object.keys(jobs.jobs).sort()).toEqual([
      'agent_task',
      'doc_compactor_task',
      'doctor_task',
      'repo_index_task',
      'review_bundle_task',
      'test_runner_task',
    ]);
    expect(jobs.jobs.test_runner_task?.subprocess).toBe(true);
    const repos = await loadRepoAllowlist(bundledConfigPath('repo_allowlist.yaml') as string);
    expect(repos.repos.openclaw?.url).toMatch(/^https:/);
  });

  it('committed JSON Schemas match the zod schemas (run `openclaw schema` after changing them)', () => {
    for (const [name, text] of Object.entries(generateJsonSchemas())) {
      const committed = readFileSync(join(bundledConfigPath('job_allowlist.yaml') as string, '..', 'schemas', name), 'utf8');
      expect(committed, name).toBe(text);
    }
  });
});
