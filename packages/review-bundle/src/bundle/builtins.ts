/**
 * Builtins that only the end of a run needs (digests, the archive's head), loaded on first use
 * rather than with the command: node:crypto alone takes some 10 ms to load, on the path before
 * `git diff` starts. preloadBuiltins() loads them while git works on the diff.
 */
export const crypto = () => process.getBuiltinModule('node:crypto');
export const zlib = () => process.getBuiltinModule('node:zlib');

export function preloadBuiltins(): void {
  crypto();
  zlib();
}
