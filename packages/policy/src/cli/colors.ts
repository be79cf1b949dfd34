/**
 * Colour for human output: chalk, but only loaded when colour is actually on (a TTY without
 * NO_COLOR and without --json). Agents and scripts, which never have a TTY, skip loading it.
 */
import type { ChalkInstance } from 'chalk';

let chalk: typeof import('chalk') | undefined;

/** Loads chalk if `stream` will be coloured; call before `colorsFor` (the base command does). */
export async function prepareColors(stream: NodeJS.WriteStream, json: boolean): Promise<void> {
  if (colorWanted(stream, json) && !chalk) chalk = await import('chalk');
}

function colorWanted(stream: NodeJS.WriteStream, json: boolean): boolean {
  return !json && stream.isTTY === true && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}

/** Styles that leave text as it is, with chalk's chaining (`plain.red.bold('x')`). */
const plain: ChalkInstance = new Proxy((s: unknown) => String(s), { get: () => plain }) as unknown as ChalkInstance;

/** Colour for one output stream: off for NO_COLOR, a non-TTY stream, or JSON output. */
export function colorsFor(stream: NodeJS.WriteStream, json: boolean): ChalkInstance {
  if (!colorWanted(stream, json) || !chalk) return plain;
  return new chalk.Chalk({ level: 1 });
}
