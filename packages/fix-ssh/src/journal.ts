/**
 * Every change fix-ssh makes to files goes through a journal: the original bytes, mode, owner and
 * times of each file are captured before its first change (and copied to the backup directory), so
 * `rollback()` puts back exactly what was there — new files and directories removed, changed ones
 * restored — leaving the tree byte-identical. In plan mode (`--dry-run`) nothing is written: the
 * journal keeps the intended contents so they can be shown as diffs.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  type Stats,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { HostPaths } from './paths.js';

interface Original {
  path: string;
  existed: boolean;
  content?: Buffer;
  stat?: Stats;
}

type Entry = { kind: 'file'; original: Original } | { kind: 'dir'; path: string };

export interface PlannedFile {
  /** Host path. */
  path: string;
  before: string | null;
  after: string | null;
}

export class Journal {
  private readonly entries: Entry[] = [];
  private readonly originals = new Map<string, Original>();
  /** Plan mode: path → intended content (null = removed). */
  private readonly planned = new Map<string, string | null>();
  backupDir: string | null = null;

  constructor(
    readonly paths: HostPaths,
    readonly plan: boolean,
  ) {}

  /** Current content: the planned one in plan mode, else the file's; null when absent. */
  read(path: string): string | null {
    if (this.planned.has(path)) return this.planned.get(path) as string | null;
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  private remember(path: string): Original {
    const known = this.originals.get(path);
    if (known) return known;
    let original: Original;
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) throw new Error(`${this.paths.host(path)} is a symlink; fix-ssh edits only regular files`);
      if (!stat.isFile()) throw new Error(`${this.paths.host(path)} is not a regular file`);
      original = { path, existed: true, content: readFileSync(path), stat };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      original = { path, existed: false };
    }
    this.originals.set(path, original);
    if (!this.plan) {
      this.entries.push({ kind: 'file', original });
      this.copyToBackup(original);
    }
    return original;
  }

  /** Captures files before any change, so the backup holds them even if a later step fails. */
  backup(paths: readonly string[]): void {
    for (const p of paths) this.remember(p);
  }

  /** Creates the backup directory (journaled: a rollback removes it with everything in it). */
  openBackup(dir: string): void {
    if (this.plan) return;
    this.mkdirp(dir, 0o700);
    this.backupDir = dir;
    for (const o of this.originals.values()) this.copyToBackup(o);
  }

  private copyToBackup(o: Original): void {
    if (!this.backupDir || !o.existed) return;
    const rel = this.paths.host(o.path).replace(/^\/+/, '');
    const dest = join(this.backupDir, 'files', rel);
    this.mkdirp(dirname(dest), 0o700);
    copyFileSync(o.path, dest);
    chmodSync(dest, (o.stat as Stats).mode & 0o7777);
    this.entries.push({ kind: 'file', original: { path: dest, existed: false } });
  }

  /** Writes a file atomically (temp, fsync, rename), keeping an existing file's mode and owner. */
  write(path: string, content: string, mode = 0o644): void {
    const original = this.remember(path);
    if (this.plan) {
      this.planned.set(path, content);
      return;
    }
    this.mkdirp(dirname(path), 0o755);
    const tmp = join(dirname(path), `.${basename(path)}.openclaw-${process.pid}`);
    const fd = openSync(tmp, 'wx', original.stat ? original.stat.mode & 0o7777 : mode);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      if (original.stat) {
        chmodSync(tmp, original.stat.mode & 0o7777);
        if (process.getuid?.() === 0) chownSync(tmp, original.stat.uid, original.stat.gid);
      } else chmodSync(tmp, mode);
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
      throw e;
    }
  }

  /** Creates a directory and its missing parents, each journaled. */
  mkdirp(path: string, mode = 0o755): void {
    const missing: string[] = [];
    for (let p = path; ; p = dirname(p)) {
      try {
        lstatSync(p);
        break;
      } catch {
        missing.unshift(p);
      }
      if (dirname(p) === p) break;
    }
    for (const p of missing) {
      if (this.plan) continue;
      mkdirSync(p, mode);
      chmodSync(p, mode);
      this.entries.push({ kind: 'dir', path: p });
    }
  }

  /** Whether a directory would be created (plan mode reports it). */
  exists(path: string): boolean {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  }

  /** Files whose content changed (or would), as host paths. */
  changes(): PlannedFile[] {
    const out: PlannedFile[] = [];
    for (const o of this.originals.values()) {
      if (this.backupDir && o.path.startsWith(this.backupDir)) continue;
      const before = o.existed ? (o.content as Buffer).toString('utf8') : null;
      const after = this.plan ? (this.planned.has(o.path) ? (this.planned.get(o.path) as string | null) : before) : this.read(o.path);
      if (before !== after) out.push({ path: this.paths.host(o.path), before, after });
    }
    return out;
  }

  /** Directories created (host paths). */
  createdDirs(): string[] {
    return this.entries.filter((e): e is { kind: 'dir'; path: string } => e.kind === 'dir').map((e) => this.paths.host(e.path));
  }

  /** Undoes every change, newest first. Returns what could not be undone (empty when all was). */
  rollback(): string[] {
    const problems: string[] = [];
    const entries = this.entries.splice(0).reverse();
    // Files first, then the directories created for them (deepest last-created first).
    for (const e of [...entries.filter((x) => x.kind === 'file'), ...entries.filter((x) => x.kind === 'dir')]) {
      try {
        if (e.kind === 'dir') rmdirSync(e.path);
        else restore(e.original);
      } catch (err) {
        problems.push(`${this.paths.host(e.kind === 'dir' ? e.path : e.original.path)}: ${(err as Error).message}`);
      }
    }
    this.backupDir = null;
    return problems;
  }
}

function restore(o: Original): void {
  if (!o.existed) {
    try {
      unlinkSync(o.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return;
  }
  const st = o.stat as Stats;
  const tmp = join(dirname(o.path), `.${basename(o.path)}.openclaw-restore-${process.pid}`);
  const fd = openSync(tmp, 'w', st.mode & 0o7777);
  try {
    writeSync(fd, o.content as Buffer);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, st.mode & 0o7777);
  if (process.getuid?.() === 0) chownSync(tmp, st.uid, st.gid);
  renameSync(tmp, o.path);
  utimesSync(o.path, st.atime, st.mtime);
}
