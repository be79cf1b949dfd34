/** `@openclaw/policy/cli`: what every package's commands share. */

export { colorsFor, prepareColors } from './colors.js';
export { type BaseFlags, OpenclawCommand } from './command.js';
