/**
 * The writers' lock on the approvals file: every read-modify-write (`set`, `allowlist add|remove`,
 * the endpoint's allow-always, the socket token) holds it, so concurrent writers lose nothing.
 *
 * Across processes it is a POSIX advisory lock taken through SQLite (`BEGIN EXCLUSIVE` on
 * `<file>.lock`): node:sqlite ships with Node, the kernel drops the lock when its holder dies (no
 * stale lock file to break, no pid guessing), and SQLite's busy handler waits for it with back-off.
 * Within one process an async queue serialises holders first, because the SQLite wait is
 * synchronous and would otherwise block the holder it waits for.
 */
import { closeSync, constants as fsc, lstatSync, openSync } from 'node:fs';
import { OpenclawError } from '@openclaw/policy';

const queues = new Map<string, Promise<unknown>>();

export const LOCK_TIMEOUT_MS = 10_000;

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T> | T, timeoutMs = LOCK_TIMEOUT_MS): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => holdLock(lockPath, fn, timeoutMs));
  queues.set(lockPath, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockPath) === run) queues.delete(lockPath);
  }
}

async function holdLock<T>(lockPath: string, fn: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  createLockFile(lockPath);
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  const db = new DatabaseSync(lockPath, { timeout: timeoutMs });
  try {
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      throw new OpenclawError({
        code: 'approvals_file_locked',
        reason: `the approvals file is locked by another writer (waited ${Math.round(timeoutMs / 1000)} s): ${(e as Error).message}`,
        hint: `retry; if it persists, find the process holding ${lockPath} (fuser ${lockPath})`,
      });
    }
    try {
      return await fn();
    } finally {
      // ROLLBACK releases the lock without writing anything to the lock file.
      db.exec('ROLLBACK');
    }
  } finally {
    db.close();
  }
}

/** The lock file is created 0600 without following symlinks; anything else at that path is refused. */
function createLockFile(lockPath: string): void {
  try {
    closeSync(openSync(lockPath, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o600));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OpenclawError({
      code: 'approvals_file_locked',
      reason: `cannot open the lock file ${lockPath} (${code === 'ELOOP' ? 'it is a symlink' : code})`,
      hint: `remove ${lockPath} if it is not a regular file of yours`,
    });
  }
  const st = lstatSync(lockPath);
  const uid = process.getuid?.();
  if (!st.isFile() || (uid !== undefined && st.uid !== uid))
    throw new OpenclawError({
      code: 'approvals_file_locked',
      reason: `the lock file ${lockPath} is not a regular file owned by you`,
      hint: `remove ${lockPath}`,
    });
}
