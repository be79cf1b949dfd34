import { Chalk, type ChalkInstance } from 'chalk';

/** Colour for one output stream: off for NO_COLOR, a non-TTY stream, or JSON output. */
export function colorsFor(stream: NodeJS.WriteStream, json: boolean): ChalkInstance {
  const on = !json && stream.isTTY === true && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  return new Chalk({ level: on ? 1 : 0 });
}
