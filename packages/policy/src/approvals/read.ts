/**
 * Reading the approvals file, fail-closed (SPEC §4): a missing file means defaults; a file that is a
 * symlink, not a regular file, owned by someone else, readable or writable by others, in a directory
 * others can write, unreadable, not JSON, of another version, or with an invalid entry is *invalid*
 * — every decision is then deny with `approvals_file_invalid` — and is never rewritten automatically.
 */
import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { patternError } from '../allowlist/pattern.js';
import type { ErrorInfo } from '../errors.js';
import { openclawHome } from '../home.js';
import type { ApprovalsFile } from './schema.js';

export const APPROVALS_FILE_NAME = 'exec-approvals.json';
const MAX_APPROVALS_BYTES = 4 * 1024 * 1024;

export type ApprovalsSnapshot =
  | { status: 'missing'; path: string }
  | { status: 'ok'; path: string; file: ApprovalsFile }
  | { status: 'invalid'; path: string; error: ErrorInfo & { code: 'approvals_file_invalid' } };

export function defaultApprovalsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(openclawHome(env), APPROVALS_FILE_NAME);
}

function invalid(path: string, reason: string, hint: string): { status: 'invalid'; path: string; error: ErrorInfo & { code: 'approvals_file_invalid' } } {
  return { status: 'invalid', path, error: { code: 'approvals_file_invalid', reason: `approvals file ${path}: ${reason}`, hint } };
}

const mode = (m: number) => (m & 0o777).toString(8).padStart(4, '0');

/** Permission and ownership checks shared by the reader and the writer. */
export function approvalsPermissionProblem(path: string): { reason: string; hint: string } | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = dirname(path);
  try {
    const d = lstatSync(dir);
    if (d.isSymbolicLink()) return { reason: `its directory ${dir} is a symlink`, hint: `use a real directory for ${dir}` };
    if ((d.mode & 0o022) !== 0) return { reason: `its directory ${dir} is writable by others (${mode(d.mode)})`, hint: `chmod 700 ${dir}` };
    if (uid !== undefined && d.uid !== uid && d.uid !== 0) return { reason: `its directory ${dir} is owned by uid ${d.uid}`, hint: `chown $(id -u) ${dir}` };
  } catch {
    // a missing directory is reported by the file check below
  }
  return undefined;
}

/** The raw text of the approvals file after the filesystem checks, or why it cannot be trusted. */
export type ApprovalsText =
  | { status: 'missing'; path: string }
  | { status: 'ok'; path: string; text: string }
  | { status: 'invalid'; path: string; error: ErrorInfo & { code: 'approvals_file_invalid' } };

/**
 * The filesystem half of the reader: refuses symlinks, non-regular files, foreign owners, loose
 * permissions and oversized files, then reads the text. The approvals writer uses it directly when a
 * user explicitly repairs a file whose *content* is invalid (`approvals allowlist remove`).
 */
export function readApprovalsText(path: string): ApprovalsText {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing', path };
    return invalid(path, `cannot be inspected (${code})`, `check the permissions of ${dirname(path)}`);
  }
  if (st.isSymbolicLink())
    return invalid(
      path,
      'is a symlink; openclaw refuses to follow it',
      `replace it with the file itself: cp --remove-destination "$(readlink -f ${path})" ${path}`,
    );
  if (!st.isFile()) return invalid(path, 'is not a regular file', `remove it and run \`openclaw approvals set --file FILE\``);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) return invalid(path, `is owned by uid ${st.uid}, not by you (uid ${uid})`, `chown $(id -u) ${path}`);
  if ((st.mode & 0o077) !== 0) return invalid(path, `permissions ${mode(st.mode)} let others read or write it`, `chmod 600 ${path}`);
  const dirProblem = approvalsPermissionProblem(path);
  if (dirProblem) return invalid(path, dirProblem.reason, dirProblem.hint);

  try {
    // O_NOFOLLOW closes the window between the lstat above and the open.
    const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_APPROVALS_BYTES) return invalid(path, `is larger than ${MAX_APPROVALS_BYTES} bytes`, 'remove unused allowlist entries');
      const buf = Buffer.alloc(size);
      let off = 0;
      while (off < size) {
        const n = readSync(fd, buf, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
      return { status: 'ok', path, text: buf.subarray(0, off).toString('utf8') };
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return invalid(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, `check its permissions: chmod 600 ${path}`);
  }
}

export async function readApprovalsFile(path: string): Promise<ApprovalsSnapshot> {
  const read = readApprovalsText(path);
  if (read.status !== 'ok') return read;
  return parseApprovalsText(read.text, path);
}

/**
 * The content half of the reader: JSON, version 1, the schema, every allowlist pattern. The writer
 * validates what it is about to write with this same function, so reader and writer never disagree.
 */
export async function parseApprovalsText(text: string, path: string): Promise<ApprovalsSnapshot> {
  const fix = `fix the file or replace it: \`openclaw approvals set --file FILE\` (it is never overwritten automatically)`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return invalid(path, `is not valid JSON (${(e as Error).message})`, fix);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return invalid(path, 'is not a JSON object', fix);
  const version = (data as { version?: unknown }).version;
  if (version !== 1) {
    return invalid(
      path,
      version === undefined ? 'has no "version"' : `has version ${JSON.stringify(version)}; this openclaw reads version 1`,
      version === undefined ? fix : 'upgrade openclaw, or write a version 1 file with `openclaw approvals set --file FILE`',
    );
  }
  const { ApprovalsFile } = await import('./schema.js');
  const parsed = ApprovalsFile.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? first.path.map(String).join('.') : 'top level';
    return invalid(path, `${where}: ${first?.message ?? 'invalid'}`, fix);
  }
  for (const [agent, entry] of Object.entries(parsed.data.agents ?? {})) {
    for (const [i, item] of (entry.allowlist ?? []).entries()) {
      const problem = patternError(item.pattern);
      if (problem)
        return invalid(
          path,
          `agents.${agent}.allowlist[${i}]: ${problem}`,
          `fix it with \`openclaw approvals allowlist remove ${JSON.stringify(item.pattern)} --agent ${agent}\` and add the full path`,
        );
    }
  }
  return { status: 'ok', path, file: parsed.data };
}
