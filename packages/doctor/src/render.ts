/**
 * The human report: one line per check (status, id, what was found), the fix under anything that
 * is not a pass, the remediation box when sshd is public, and the summary — one screen.
 */
import { basename } from 'node:path';
import type { CheckResult, CheckStatus } from './check.js';
import type { AppliedFix } from './permissions.js';
import type { AuditedListener } from './ports/audit.js';
import type { DoctorReport } from './run.js';

/** The colours the report uses (a chalk instance fits; so does a no-op). */
export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const MAX_LISTENERS = 8;

function verdictPaint(v: AuditedListener['verdict'], paint: Paint): (s: string) => string {
  return v === 'violation' ? paint.red : v === 'warn' ? paint.yellow : paint.dim;
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', unknown: 'UNKNOWN', skip: 'SKIP' };

function clip(s: string, width: number): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The box printed when sshd listens on a public address. */
export function sshdBox(endpoints: string[], socketActivated: boolean, fromCapture: string | null): string[] {
  const inner = 70;
  const title = ' sshd is reachable from the internet ';
  const text = [
    `sshd listens on ${endpoints.join(', ')}: reachable from outside, not only from your tailnet${fromCapture ? ` (on the host captured in ${basename(fromCapture)})` : ''}.`,
    ...(socketActivated ? ['systemd holds port 22 for sshd (ssh.socket); fix-ssh disables and masks it so ssh.service owns the port.'] : []),
    'Lock sshd to your Tailscale address: every change is backed up, checked with sshd -t and sshd -T, and rolled back on any failure; authentication settings are not touched.',
  ];
  const body = text.flatMap((p, i) => [...(i ? [''] : []), ...wrap(p, inner - 2)]);
  body.push('', '  openclaw fix-ssh --dry-run      # show the exact changes', '  sudo openclaw fix-ssh');
  return [`╭─${title}${'─'.repeat(inner - title.length - 1)}╮`, ...body.map((l) => `│ ${l.padEnd(inner - 2)} │`), `╰${'─'.repeat(inner)}╯`];
}

function fixLine(f: AppliedFix): string {
  return f.applied ? `  fixed ${f.path}: ${f.before} → ${f.after} (${f.why})` : `  not fixed ${f.path}: ${f.refused}`;
}

export function renderReport(report: DoctorReport, paint: Paint, width = 120): string {
  const colour: Record<CheckStatus, (s: string) => string> = {
    pass: paint.green,
    warn: paint.yellow,
    fail: (s) => paint.bold(paint.red(s)),
    unknown: paint.dim,
    skip: paint.dim,
  };
  const idWidth = Math.max(...report.checks.map((c) => c.id.length), 8);
  const room = Math.max(30, width - 8 - idWidth - 2);
  const out: string[] = [
    paint.bold(
      `openclaw doctor · ${report.host.name}${report.host.root ? ' (root)' : ''} · ${report.checks.length} check${report.checks.length === 1 ? '' : 's'} in ${report.duration_ms} ms`,
    ),
    '',
  ];
  const indent = ' '.repeat(8 + idWidth + 2);
  for (const c of report.checks) {
    out.push(`${colour[c.status](LABEL[c.status].padEnd(7))} ${c.id.padEnd(idWidth)}  ${clip(c.detail, room)}`);
    if (c.id === 'ports.public' && c.status !== 'pass') {
      // The listeners that made it not pass, one per line: the audit is the point of the report.
      const rank = { violation: 0, warn: 1, unknown: 2, ok: 3 };
      const bad = ((c.evidence.listeners ?? []) as AuditedListener[])
        .filter((l) => l.verdict !== 'ok')
        .sort((a, b) => rank[a.verdict] - rank[b.verdict] || Number(b.sshd) - Number(a.sshd));
      const epWidth = Math.min(32, Math.max(...bad.map((l) => l.endpoint.length)));
      for (const l of bad.slice(0, MAX_LISTENERS))
        out.push(
          `${indent}${verdictPaint(l.verdict, paint)(l.verdict.padEnd(9))} ${l.endpoint.padEnd(epWidth)} ${clip(l.process ?? '(owner not shown)', 18).padEnd(18)} ${paint.dim(l.tier)}`,
        );
      if (bad.length > MAX_LISTENERS) out.push(`${indent}${paint.dim(`… ${bad.length - MAX_LISTENERS} more (--json shows every listener)`)}`);
    }
    if (c.remediation && c.status !== 'pass' && c.status !== 'skip') out.push(`${indent}${paint.dim('→')} ${clip(c.remediation, room - 2)}`);
  }
  if (report.fixes) {
    out.push('', report.fixes.length ? '--fix:' : '--fix: nothing to fix');
    out.push(...report.fixes.map(fixLine));
  }
  const ports = report.checks.find((c: CheckResult) => c.id === 'ports.public');
  if (report.sshd_public && ports) {
    const sshd = ((ports.evidence.listeners ?? []) as AuditedListener[]).filter((l) => l.sshd && l.tier === 'public');
    const source = String(ports.evidence.source ?? '');
    const fromCapture = /^(ss|netstat|lsof) /.test(source) ? null : source;
    out.push(
      '',
      ...sshdBox(
        sshd.map((l) => l.endpoint),
        sshd.some((l) => l.process?.split(',').includes('systemd')),
        fromCapture,
      ).map((l) => paint.red(l)),
    );
  }
  const s = report.summary;
  const tail = [
    s.failed && `${s.failed} failed`,
    s.warnings && `${s.warnings} warning${s.warnings === 1 ? '' : 's'}`,
    s.unknown && `${s.unknown} unknown`,
    s.skipped && `${s.skipped} skipped`,
  ].filter(Boolean);
  out.push('', `${paint.bold(s.text)}${tail.length ? ` · ${tail.join(' · ')}` : ''}${report.ok ? '' : paint.red(' — exit 3: fix the failures above')}`);
  return out.join('\n');
}
