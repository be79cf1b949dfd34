/**
 * The peer's credentials on a connected Unix socket, through the `peercred` native addon
 * (native/peercred.c: SO_PEERCRED on Linux, getpeereid elsewhere). The kernel records them at
 * connect(2), so the check is bound to the connection itself: no race with the peer exiting, its pid
 * being reused or a file descriptor being passed on — unlike matching /proc/net/unix inodes against
 * /proc/<pid>/fd, which can observe a different process than the one that connected. Node has no API
 * for this; without the addon the endpoint refuses to serve (fail closed).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenclawError } from '@openclaw/policy';

export interface PeerCredentials {
  uid: number;
  gid: number;
  /** -1 where the platform does not say (getpeereid). */
  pid: number;
}

interface PeerCredAddon {
  peerCred(fd: number): PeerCredentials;
  /** Writes [uid, gid, pid] into `out` (an addon built before it existed lacks it). */
  peerCredInto?(fd: number, out: Float64Array): void;
}

let loaded: PeerCredAddon | Error | undefined;

/**
 * Where the addon is: next to the bundled CLI (`packages/cli/dist/native/`, copied there by
 * scripts/build.mjs) or, running from sources, in this package's `native/build/`.
 */
function candidates(): string[] {
  const out: string[] = [];
  if (process.argv[1]) out.push(join(dirname(process.argv[1]), 'native', 'peercred.node'));
  const here = dirname(fileURLToPath(import.meta.url));
  out.push(join(here, '..', '..', 'native', 'build', 'peercred.node'));
  return out;
}

function load(): PeerCredAddon | Error {
  const tried = candidates();
  const file = tried.find((p) => existsSync(p));
  if (!file) return new Error(`the peercred addon is not built (looked in ${tried.join(', ')})`);
  try {
    const mod = { exports: {} as PeerCredAddon };
    process.dlopen(mod, file);
    if (typeof mod.exports.peerCred !== 'function') return new Error(`${file} does not export peerCred`);
    return mod.exports;
  } catch (e) {
    return new Error(`cannot load ${file}: ${(e as Error).message}`);
  }
}

/** Throws `peer_check_unavailable` (with the fix) when no sound peer check works here. */
export function requirePeerCheck(): (fd: number) => PeerCredentials {
  loaded ??= load();
  if (loaded instanceof Error)
    throw new OpenclawError({
      code: 'peer_check_unavailable',
      reason: `cannot check who connects to the approvals socket: ${loaded.message}; refusing to serve without it`,
      hint: 'build it with `bash scripts/setup.sh` (needs a C compiler: apt-get install gcc)',
    });
  const addon = loaded;
  const into = addon.peerCredInto;
  if (typeof into !== 'function') return (fd) => addon.peerCred(fd);
  // One array for every call: the addon fills it, and a plain object costs less made here than through Node-API.
  const out = new Float64Array(3);
  return (fd) => {
    out[0] = Number.NaN; // a uid never written stays unequal to every uid
    out[2] = -1; // getpeereid gives no pid
    into.call(addon, fd, out);
    return { uid: out[0] as number, gid: out[1] as number, pid: out[2] as number };
  };
}

/** The file descriptor of an accepted socket (Node keeps it on the libuv handle). */
export function socketFd(socket: import('node:net').Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}
