/**
 * Writing the approvals file (SPEC §4). The reader and the schema live in the policy core
 * (`readApprovalsFile`, `parseApprovalsText`) because `policy check` reads the file too; this module
 * validates what it writes with that same reader, so the two never disagree.
 *
 * Every write: under the writers' lock (lock.ts), read the current file (fail-closed: a file that is
 * a symlink, foreign, loosely permissioned or — unless the user explicitly replaces or repairs it —
 * invalid is never overwritten), apply the change to the raw JSON (so unknown fields and their order
 * survive), validate the result, then write a temp file in the same directory (0600, O_EXCL,
 * O_NOFOLLOW), fsync it, rename it over the file and fsync the directory. The directory is created
 * 0700 and refused when others can write to it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fchmodSync, constants as fsc, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type ApprovalsFile,
  type ApprovalsSnapshot,
  approvalsPermissionProblem,
  type ErrorInfo,
  OpenclawError,
  parseApprovalsText,
  readApprovalsText,
} from '@openclaw/policy';
import { withFileLock } from './lock.js';

/** The approvals file as JSON: validated, with every field the schema does not know kept. */
export type ApprovalsDocument = ApprovalsFile & Record<string, unknown>;

export interface UpdateOptions {
  /**
   * The caller is an explicit user command that may replace a file whose *content* is invalid
   * (`approvals set`) or repair it (`allowlist remove` of the bad pattern). Filesystem problems
   * (symlink, owner, permissions) are refused even then.
   */
  mayReplaceInvalidContent?: boolean;
}

export interface CurrentApprovals {
  /** missing: no file yet; ok: valid; invalid: content invalid (only with mayReplaceInvalidContent). */
  status: 'missing' | 'ok' | 'invalid';
  /** The raw JSON (`undefined` when missing or not parseable as a JSON object). */
  raw: Record<string, unknown> | undefined;
  error?: ErrorInfo;
}

export interface UpdateResult {
  file: ApprovalsDocument;
  changed: boolean;
  path: string;
}

function invalidError(error: ErrorInfo): OpenclawError {
  return new OpenclawError({ ...error, exitCode: 1 });
}

/** Creates the directory (0700) when missing; refuses a directory others could write to. */
export function ensureApprovalsDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const problem = approvalsPermissionProblem(path);
  if (problem) throw new OpenclawError({ code: 'approvals_file_invalid', reason: `approvals file ${path}: ${problem.reason}`, hint: problem.hint });
}

/**
 * Read-modify-write under the lock. `change` gets the current raw document (a fresh `{version: 1}`
 * when the file is missing) and returns the new one, or `undefined` to leave the file as it is.
 */
export async function updateApprovalsFile(
  path: string,
  change: (current: ApprovalsDocument, state: CurrentApprovals) => ApprovalsDocument | undefined,
  opts: UpdateOptions = {},
): Promise<UpdateResult> {
  ensureApprovalsDir(path);
  // Loaded before the lock is taken so nothing inside it waits on a module import.
  await parseApprovalsText('{"version":1}', path);
  return withFileLock(`${path}.lock`, async () => {
    const state = await readCurrent(path, opts);
    const base = (state.raw ?? { version: 1 }) as ApprovalsDocument;
    const next = change(structuredClone(base), state);
    if (next === undefined) {
      if (state.status === 'invalid' && state.error) throw invalidError(state.error);
      return { file: base, changed: false, path };
    }
    const text = `${JSON.stringify(next, null, 2)}\n`;
    const checked = await parseApprovalsText(text, path);
    if (checked.status !== 'ok') {
      const error = (checked as Extract<ApprovalsSnapshot, { status: 'invalid' }>).error;
      throw new OpenclawError({
        code: 'approvals_content_invalid',
        reason: error.reason.replace(`approvals file ${path}`, 'the new approvals content'),
        hint: 'nothing was written; fix the content and retry',
      });
    }
    writeFileAtomically(path, text);
    return { file: next, changed: true, path };
  });
}

async function readCurrent(path: string, opts: UpdateOptions): Promise<CurrentApprovals> {
  const read = readApprovalsText(path);
  if (read.status === 'missing') return { status: 'missing', raw: undefined };
  if (read.status === 'invalid') throw invalidError(read.error);
  const parsed = await parseApprovalsText(read.text, path);
  if (parsed.status === 'ok') return { status: 'ok', raw: JSON.parse(read.text) as Record<string, unknown> };
  const error = (parsed as Extract<ApprovalsSnapshot, { status: 'invalid' }>).error;
  if (!opts.mayReplaceInvalidContent) throw invalidError(error);
  let raw: Record<string, unknown> | undefined;
  try {
    const data = JSON.parse(read.text) as unknown;
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) raw = data as Record<string, unknown>;
  } catch {
    raw = undefined;
  }
  return { status: 'invalid', raw, error };
}

/** temp (same directory, 0600, exclusive, no symlink following) → fsync → rename → fsync directory. */
export function writeFileAtomically(path: string, text: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    try {
      fchmodSync(fd, 0o600);
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const dfd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** A fresh socket token: 32 random bytes, base64 (the form OpenClaw uses). */
export function generateSocketToken(): string {
  return randomBytes(32).toString('base64');
}

/** The shortest socket token the endpoint accepts as an HMAC key. */
export const MIN_SOCKET_TOKEN_LENGTH = 16;

/**
 * The socket token, generated and written when the file has none. Refuses an invalid file (the
 * endpoint then does not start: a fix is needed first).
 */
export async function ensureSocketToken(path: string): Promise<{ token: string; created: boolean }> {
  let token: string | undefined;
  let created = false;
  await updateApprovalsFile(path, (doc) => {
    const existing = doc.socket?.token;
    if (typeof existing === 'string' && existing !== '') {
      token = existing;
      return undefined;
    }
    token = generateSocketToken();
    created = true;
    return { ...doc, socket: { ...(doc.socket ?? {}), token } };
  });
  return { token: token as string, created };
}

/**
 * `approvals set`: replaces the whole file with `text` after validating it. Like OpenClaw's import,
 * allowlist entries without an `id` get one; a socket token missing from the new content is kept
 * from the current file (`approvals get` never prints it, so its output can be fed back).
 */
export async function replaceApprovalsFile(path: string, text: string): Promise<UpdateResult & { keptToken: boolean; idsAdded: number }> {
  const label = 'the new approvals content';
  const checked = await parseApprovalsText(text, label);
  if (checked.status !== 'ok') {
    const error = (checked as Extract<ApprovalsSnapshot, { status: 'invalid' }>).error;
    throw new OpenclawError({
      code: 'approvals_content_invalid',
      reason: error.reason.replace(`approvals file ${label}`, label),
      hint: 'nothing was written; fix the content and retry',
    });
  }
  const incoming = JSON.parse(text) as ApprovalsDocument;
  let keptToken = false;
  let idsAdded = 0;
  const result = await updateApprovalsFile(
    path,
    (current) => {
      const next = structuredClone(incoming);
      const oldToken = current.socket?.token;
      if (next.socket?.token === undefined && typeof oldToken === 'string') {
        next.socket = { ...(next.socket ?? {}), token: oldToken };
        keptToken = true;
      }
      for (const agent of Object.values(next.agents ?? {})) {
        for (const entry of agent.allowlist ?? []) {
          if (entry.id === undefined) {
            entry.id = randomUUID();
            idsAdded++;
          }
        }
      }
      return next;
    },
    { mayReplaceInvalidContent: true },
  );
  return { ...result, keptToken, idsAdded };
}

/** The file as `approvals get` shows it: the socket token is never printed (as OpenClaw does). */
export function redactApprovals<T extends ApprovalsFile>(file: T): T {
  const copy = structuredClone(file);
  if (copy.socket && 'token' in copy.socket) {
    const { token: _hidden, ...socket } = copy.socket;
    copy.socket = socket;
  }
  return copy;
}
