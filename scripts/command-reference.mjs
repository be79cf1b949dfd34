#!/usr/bin/env node
/** Writes docs/commands.md, the command reference, from the oclif manifest the build produced. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function commandReference(manifest) {
  const out = [
    '# Command reference',
    '',
    'Generated from the command manifest by `scripts/command-reference.mjs` during the build; do not edit by hand.',
    'Every command takes `--json` (only JSON on stdout) and uses the exit codes of [exit-codes.md](exit-codes.md).',
    '',
  ];
  for (const c of Object.values(manifest.commands).sort((a, b) => a.id.localeCompare(b.id))) {
    const name = `openclaw ${c.id.replaceAll(':', ' ')}`;
    out.push(`## ${name}`, '', c.summary ?? '', '');
    if (c.description) out.push(c.description, '');
    const args = Object.values(c.args ?? {});
    const flags = Object.values(c.flags ?? {}).sort((a, b) => a.name.localeCompare(b.name));
    if (args.length) {
      out.push('| argument | description |', '|---|---|');
      for (const a of args)
        out.push(
          `| \`${a.name}\`${a.required ? ' (required)' : ''} | ${(a.description ?? '').replaceAll('|', '\\|')}${a.options ? ` One of: ${a.options.join(', ')}.` : ''} |`,
        );
      out.push('');
    }
    if (flags.length) {
      out.push('| flag | description |', '|---|---|');
      for (const f of flags) {
        const head = `\`--${f.name}${f.type === 'option' ? ` ${f.helpValue ?? 'VALUE'}` : ''}\`${f.char ? ` / \`-${f.char}\`` : ''}`;
        const extra = [
          f.options ? `One of: ${f.options.join(', ')}.` : '',
          f.multiple ? 'Repeatable.' : '',
          f.default !== undefined && f.default !== false ? `Default: \`${f.default}\`.` : '',
        ]
          .filter(Boolean)
          .join(' ');
        out.push(`| ${head} | ${(f.description ?? '').replaceAll('|', '\\|')}${extra ? ` ${extra}` : ''} |`);
      }
      out.push('');
    }
    if (c.examples?.length) {
      out.push('```sh', ...c.examples.map((e) => (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'openclaw')), '```', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages/cli/oclif.manifest.json'), 'utf8'));
  writeFileSync(join(root, 'docs/commands.md'), commandReference(manifest));
}
