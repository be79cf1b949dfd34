/**
 * Host paths under an optional test root (`--test-root` / OPENCLAW_TEST_ROOT). Every file fix-ssh
 * reads or writes goes through `at()`, so a test root sees the same layout as `/` and needs no
 * root. Paths written inside config files (Include globs) are host paths and are mapped the same
 * way — unless they already point inside the test root, which is how a test tree lets the real
 * sshd follow its own Include lines.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';

export class HostPaths {
  readonly root: string | null;

  constructor(root: string | null) {
    this.root = root ? resolve(root) : null;
  }

  /** The real path of a host path (`/etc/ssh/sshd_config` → `<root>/etc/ssh/sshd_config`). */
  at(hostPath: string): string {
    if (!isAbsolute(hostPath)) throw new Error(`not an absolute path: ${hostPath}`);
    if (!this.root) return hostPath;
    if (hostPath === this.root || hostPath.startsWith(`${this.root}/`)) return hostPath;
    return join(this.root, hostPath);
  }

  /** The host path of a real path (inverse of `at`), for messages and JSON. */
  host(realPath: string): string {
    if (!this.root) return realPath;
    const rel = relative(this.root, realPath);
    return rel.startsWith('..') ? realPath : `/${rel}`;
  }
}
