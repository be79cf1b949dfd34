/**
 * The endpoint's policy, reloaded when its inputs change: the approvals file, its directory and the
 * config file are lstat'ed, and any change in inode, size, times, mode or owner reloads the policy —
 * so an allow-always, an `allowlist add` or a file turned corrupt takes effect on the next request,
 * never later.
 *
 * "Next" is exact: a request is decided with inputs checked after its line was received. A check
 * stands for every request that had arrived before it was made — whatever changed before such a
 * request was sent, the check saw — so requests received together share one check, and one that
 * arrived after the last check gets its own. Times are `performance.now()`: monotonic, one thread.
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { type LoadedPolicy, loadPolicy } from '@openclaw/policy';

/** Numbers per watched path in a signature: inode, size, mtime, ctime, mode, uid. */
const FIELDS = 6;

export class PolicySource {
  private loaded: LoadedPolicy | undefined;
  /** The inputs as they were when `loaded` was read. */
  private signature: Float64Array;
  private readonly scratch: Float64Array;
  private readonly paths: (string | null)[];
  /** When the last check that found the inputs unchanged began (or the last load: its signature was taken then). */
  private checkedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<LoadedPolicy> | undefined;
  private loadStartedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: { approvalsPath: string; configFile: string | null; cwd?: string; env?: NodeJS.ProcessEnv }) {
    this.paths = [opts.approvalsPath, dirname(opts.approvalsPath), opts.configFile];
    this.signature = new Float64Array(this.paths.length * FIELDS);
    this.scratch = new Float64Array(this.paths.length * FIELDS);
  }

  /** Reads the inputs' current signature into `into`. */
  private sign(into: Float64Array): Float64Array {
    for (let i = 0; i < this.paths.length; i++) {
      const path = this.paths[i];
      const st = path ? lstatSync(path, { throwIfNoEntry: false }) : undefined;
      const at = i * FIELDS;
      if (!st) {
        // -1: missing, -2: not configured; never an inode number
        into.fill(0, at, at + FIELDS);
        into[at] = path ? -1 : -2;
        continue;
      }
      into[at] = st.ino;
      into[at + 1] = st.size;
      into[at + 2] = st.mtimeMs;
      into[at + 3] = st.ctimeMs;
      into[at + 4] = st.mode;
      into[at + 5] = st.uid;
    }
    return into;
  }

  private unchanged(): boolean {
    const now = this.sign(this.scratch);
    for (let i = 0; i < now.length; i++) if (now[i] !== this.signature[i]) return false;
    return true;
  }

  /**
   * The loaded policy, without waiting, when it is known to be current for a request received at
   * `receivedAt` (a check made since then, or one made now, found its inputs unchanged); undefined
   * when it must be (re)loaded: then use `current()`.
   */
  peek(receivedAt: number): LoadedPolicy | undefined {
    if (!this.loaded || this.loading) return undefined;
    if (this.checkedAt > receivedAt) return this.loaded;
    const startedAt = performance.now();
    if (!this.unchanged()) return undefined;
    this.checkedAt = startedAt;
    return this.loaded;
  }

  /** The policy for a request received at `receivedAt` (default: now), loading it when its inputs changed. */
  async current(receivedAt = performance.now()): Promise<LoadedPolicy> {
    const fresh = this.peek(receivedAt);
    if (fresh) return fresh;
    // A load that began before this request arrived may have read older inputs: wait for it, then check again.
    if (this.loading && this.loadStartedAt <= receivedAt) {
      await this.loading.catch(() => undefined);
      return this.current(receivedAt);
    }
    if (!this.loading) {
      const loading = this.load();
      this.loading = loading;
      const settled = () => {
        if (this.loading === loading) this.loading = undefined;
      };
      loading.then(settled, settled);
    }
    return this.loading;
  }

  private async load(): Promise<LoadedPolicy> {
    // The signature is taken before reading: a change during the load triggers another one.
    const startedAt = performance.now();
    this.loadStartedAt = startedAt;
    const before = this.sign(new Float64Array(this.signature.length));
    const loaded = await loadPolicy({
      approvalsFile: this.opts.approvalsPath,
      configFile: this.opts.configFile ?? undefined,
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    this.loaded = loaded;
    this.signature = before;
    this.checkedAt = startedAt;
    return loaded;
  }
}
