/**
 * The socket's place on disk: its directory is created 0700 and refused when someone else owns it
 * or others can enter it; a socket file nobody answers on (left by a crash) is removed, a live one
 * means another endpoint runs (the start is refused), and anything that is not a socket is never
 * deleted.
 */
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { OpenclawError } from '@openclaw/policy';

export function prepareSocketDir(socketPath: string): void {
  const dir = dirname(socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.geteuid?.();
  const problem = !st.isDirectory()
    ? 'is not a directory (a symlink?)'
    : uid !== undefined && st.uid !== uid
      ? `is owned by uid ${st.uid}`
      : (st.mode & 0o077) !== 0
        ? `has permissions ${(st.mode & 0o777).toString(8)}: others could reach or replace the socket`
        : undefined;
  if (problem)
    throw new OpenclawError({
      code: 'socket_dir_unsafe',
      reason: `the socket directory ${dir} ${problem}`,
      hint:
        st.isDirectory() && !problem.startsWith('is owned')
          ? `chmod 700 ${dir}, or choose a private directory with --socket`
          : 'choose a private directory with --socket',
    });
}

/** A socket nobody answers on is stale and removed; a live one means another endpoint runs. */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket())
    throw new OpenclawError({
      code: 'socket_path_taken',
      reason: `${socketPath} exists and is not a socket`,
      hint: 'remove it or choose another path with --socket',
    });
  const live = await new Promise<boolean>((resolve) => {
    const c = connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live)
    throw new OpenclawError({
      code: 'endpoint_running',
      reason: `an approvals endpoint is already serving on ${socketPath}`,
      hint: 'stop it first, or serve on another socket with --socket',
    });
  unlinkSync(socketPath);
}
