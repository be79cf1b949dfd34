/**
 * The port audit against this machine's own listeners: the real `ss -tlnp` (and netstat, lsof),
 * checked against the kernel's own table in /proc/net/tcp{,6}. Other tests (and other users of the
 * machine) open and close listeners meanwhile, so each comparison is made while the kernel's table
 * stays the same before and after the tools run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditCapture } from '../src/ports/audit.js';
import { parseListeners } from '../src/ports/parse.js';
import { runDoctor } from '../src/run.js';

/** Listening ports from the kernel (state 0A = LISTEN), sorted, with repeats. */
function kernelListeningPorts(): number[] {
  const ports: number[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.push(Number.parseInt((cols[1] as string).split(':')[1] as string, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

const tool = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    return (e as { stdout?: string }).stdout ?? '';
  }
};

/** Runs `measure` until the kernel's listeners are the same before and after it; returns both. */
async function whileStable<T>(measure: () => T | Promise<T>): Promise<{ kernel: number[]; got: T }> {
  for (let i = 0; i < 20; i++) {
    const before = kernelListeningPorts();
    const got = await measure();
    if (JSON.stringify(kernelListeningPorts()) === JSON.stringify(before)) return { kernel: before, got };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the machine's listeners kept changing during 20 attempts");
}

const ports = (text: string) => parseListeners(text).listeners.map((l) => l.port);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const unique = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

describe("this machine's own listeners", () => {
  it('ss -tlnp parses, and lists exactly the sockets the kernel says listen', async () => {
    const { kernel, got } = await whileStable(() => tool('ss', ['-tlnp']));
    const capture = parseListeners(got);
    expect(capture.formats).toEqual(['ss']);
    expect(sorted(capture.listeners.map((l) => l.port))).toEqual(kernel);
    for (const l of auditCapture(capture).listeners) expect(['ok', 'warn', 'violation', 'unknown']).toContain(l.verdict);
  });

  it('ss -H -tlnp, netstat -tlnpW and lsof agree with the kernel on the ports', async () => {
    const { kernel, got } = await whileStable(() => ({
      ssH: tool('ss', ['-H', '-tlnp']),
      netstat: tool('netstat', ['-tlnpW']),
      lsof: tool('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN']),
    }));
    expect(sorted(ports(got.ssH))).toEqual(kernel);
    expect(sorted(ports(got.netstat))).toEqual(kernel);
    // lsof lists only sockets of processes it can see (not those of other namespaces)
    for (const p of unique(ports(got.lsof))) expect(kernel).toContain(p);
  });

  it('the ports.public check runs live and its evidence matches the kernel', async () => {
    const { kernel, got: r } = await whileStable(() => runDoctor({ only: ['ports.public'] }));
    const c = r.checks[0] as NonNullable<(typeof r.checks)[0]>;
    expect(c.evidence.source).toBe('ss -tlnp');
    const listeners = c.evidence.listeners as Array<{ port: number; process: string | null; tier: string; verdict: string }>;
    expect(sorted(listeners.map((l) => l.port))).toEqual(kernel);
    // honest: a public listener whose owner ss cannot show is unknown, and the check is then no pass
    const unknownOwners = listeners.filter((l) => l.process === null && l.tier === 'public');
    for (const l of unknownOwners) expect(l.verdict).toBe('unknown');
    if (unknownOwners.length) expect(c.status).not.toBe('pass');
  });
});
