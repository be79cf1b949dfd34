/**
 * The port audit against this machine's own listeners: the real `ss -tlnp` (and netstat, lsof),
 * checked against the kernel's own table in /proc/net/tcp{,6}.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditCapture } from '../src/ports/audit.js';
import { parseListeners } from '../src/ports/parse.js';
import { runDoctor } from '../src/run.js';

/** Listening ports from the kernel (state 0A = LISTEN), as "port" strings, sorted with repeats. */
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

describe("this machine's own listeners", () => {
  it('ss -tlnp parses, and lists exactly the sockets the kernel says listen', () => {
    const capture = parseListeners(tool('ss', ['-tlnp']));
    expect(capture.formats).toEqual(['ss']);
    expect(capture.listeners.map((l) => l.port).sort((a, b) => a - b)).toEqual(kernelListeningPorts());
    const audit = auditCapture(capture);
    for (const l of audit.listeners) expect(['ok', 'warn', 'violation', 'unknown']).toContain(l.verdict);
  });

  it('ss -H -tlnp, netstat -tlnpW and lsof agree with ss on the ports', () => {
    const ports = (text: string) => [...new Set(parseListeners(text).listeners.map((l) => l.port))].sort((a, b) => a - b);
    const ss = ports(tool('ss', ['-tlnp']));
    expect(ports(tool('ss', ['-H', '-tlnp']))).toEqual(ss);
    expect(ports(tool('netstat', ['-tlnpW']))).toEqual(ss);
    // lsof lists only sockets of processes it can see; on this machine that may be fewer
    for (const p of ports(tool('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN']))) expect(ss).toContain(p);
  });

  it('the ports.public check runs live and its evidence matches ss', async () => {
    const r = await runDoctor({ only: ['ports.public'] });
    const c = r.checks[0] as NonNullable<(typeof r.checks)[0]>;
    expect(c.evidence.source).toBe('ss -tlnp');
    expect((c.evidence.listeners as unknown[]).length).toBe(kernelListeningPorts().length);
    // honest: a listener whose owner ss cannot show is never counted as a pass
    const unknownOwners = (c.evidence.listeners as Array<{ process: string | null; tier: string; verdict: string }>).filter(
      (l) => l.process === null && l.tier === 'public',
    );
    for (const l of unknownOwners) expect(l.verdict).toBe('unknown');
    if (unknownOwners.length) expect(c.status).not.toBe('pass');
  });
});
