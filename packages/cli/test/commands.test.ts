/**
 * The command surface: every command, its flags and arguments. A change here is a change to what
 * users and agents call; the snapshot makes it deliberate (`vitest -u` after a reviewed change).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const manifestPath = join(import.meta.dirname, '../oclif.manifest.json');

interface ManifestCommand {
  id: string;
  summary?: string;
  flags: Record<string, { name: string; type: string; char?: string; options?: string[]; multiple?: boolean }>;
  args: Record<string, { name: string; required?: boolean }>;
  strict?: boolean;
}

describe('command list', () => {
  it('is built (run `pnpm build` first)', () => {
    expect(existsSync(manifestPath)).toBe(true);
  });

  it('matches the snapshot', async () => {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { commands: Record<string, ManifestCommand> };
    const lines = Object.values(manifest.commands)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((c) => {
        const flags = Object.values(c.flags)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map(
            (f) =>
              `--${f.name}${f.char ? `|-${f.char}` : ''}${f.type === 'option' ? (f.options ? `=${f.options.join('|')}` : '=VALUE') : ''}${f.multiple ? '…' : ''}`,
          );
        const args = Object.values(c.args).map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`));
        return `openclaw ${c.id.replaceAll(':', ' ')} ${[...args, ...flags].join(' ')}${c.strict === false ? ' [-- ARGV…]' : ''}`.trimEnd();
      });
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('./__snapshots__/commands.txt');
  });

  it('every command has a summary and examples', () => {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { commands: Record<string, ManifestCommand & { examples?: string[] }> };
    for (const c of Object.values(manifest.commands)) {
      expect(c.summary, c.id).toBeTruthy();
      expect(c.examples?.length, c.id).toBeGreaterThan(0);
    }
  });
});

describe('command reference', () => {
  it('docs/commands.md is what the build generates from the manifest', async () => {
    // @ts-expect-error plain JavaScript module without types
    const { commandReference } = await import('../../../scripts/command-reference.mjs');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(readFileSync(join(import.meta.dirname, '../../../docs/commands.md'), 'utf8')).toBe(commandReference(manifest));
  });
});
