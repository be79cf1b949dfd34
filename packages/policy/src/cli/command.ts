/**
 * The base class of every openclaw command.
 *
 * Commands stay thin: parse flags, call the owning package's API, then `output()` the result.
 * This class owns the conventions of SPEC §2 so no command re-implements them: `--json` (nothing but
 * the JSON on stdout), the exit-code table, and the one-line error with a `hint:` line (stack traces
 * only with OPENCLAW_DEBUG=1).
 */
import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { ExitCode, OpenclawError } from '../errors.js';
import { colorsFor, prepareColors } from './colors.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof OpenclawCommand)['baseFlags'] & T['flags']>;

export abstract class OpenclawCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Print only JSON on stdout (documented shape per command).', helpGroup: 'GLOBAL' }),
  };

  /** Set from argv before parsing so that even parse errors honour --json. */
  protected get wantsJson(): boolean {
    const end = this.argv.indexOf('--');
    return (end === -1 ? this.argv : this.argv.slice(0, end)).includes('--json');
  }

  protected override async init(): Promise<void> {
    // oclif reads a missing positional argument from piped stdin; agents pipe data into commands,
    // so an argument only ever comes from argv.
    for (const arg of Object.values((this.constructor as typeof Command).args ?? {})) (arg as { ignoreStdin?: boolean }).ignoreStdin = true;
    await super.init();
    await Promise.all([prepareColors(process.stdout, this.wantsJson), prepareColors(process.stderr, false)]);
  }

  /** Colours for human output on stdout: off for NO_COLOR, non-TTY and --json. */
  protected get colors() {
    return colorsFor(process.stdout, this.wantsJson);
  }

  /**
   * Prints a command's result: the JSON document with --json, else the human rendering, and sets the
   * exit code. Human text goes to stdout; diagnostics belong on stderr (`this.note`).
   */
  protected output(result: unknown, human: () => string, exitCode: number = ExitCode.ok): void {
    if (this.wantsJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const text = human();
      if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    process.exitCode = exitCode;
  }

  /** A diagnostic line on stderr (never on stdout, so --json output stays clean). */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  protected override async catch(err: Error & { oclif?: { exit?: number }; code?: unknown }): Promise<void> {
    const debug = process.env.OPENCLAW_DEBUG === '1';
    let info: { code: string; reason: string; hint?: string; details?: unknown };
    let exitCode: number;
    if (err instanceof OpenclawError) {
      info = err.toJSON();
      exitCode = err.exitCode;
    } else if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit;
      return;
    } else if (err instanceof Errors.CLIError || (err.oclif && typeof err.oclif.exit === 'number')) {
      // oclif parse errors (unknown flag, missing argument, bad option value) are usage errors.
      const firstLine = (err.message || String(err)).split('\n').find((l) => l.trim() !== '') ?? 'invalid usage';
      info = { code: 'usage', reason: firstLine.trim(), hint: `see \`openclaw ${this.id?.replaceAll(':', ' ') ?? ''} --help\`` };
      exitCode = err.oclif?.exit === undefined || err.oclif.exit === 1 ? ExitCode.usage : err.oclif.exit;
    } else {
      info = {
        code: 'internal',
        reason: `unexpected error: ${err?.message ?? String(err)}`,
        hint: debug ? 'this is a bug in openclaw; please report it with the trace above' : 'rerun with OPENCLAW_DEBUG=1 for the stack trace',
      };
      exitCode = ExitCode.failure;
    }
    if (this.wantsJson) {
      process.stdout.write(`${JSON.stringify({ error: info }, null, 2)}\n`);
    } else {
      const c = colorsFor(process.stderr, false);
      process.stderr.write(`${c.red('error:')} ${info.reason}\n`);
      if (info.hint) process.stderr.write(`${c.dim('hint:')} ${info.hint}\n`);
    }
    if (debug && err?.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exitCode;
  }
}
