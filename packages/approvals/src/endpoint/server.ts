/**
 * The endpoint's transport: a Unix socket that takes one signed request line per connection and
 * answers with one signed response line (protocol/frame.ts). In order, for every connection:
 *
 *  1. accepted paused (`pauseOnConnect`): nothing is read before the peer check;
 *  2. peer UID via SO_PEERCRED (peer-cred.ts): another UID is closed with no response;
 *  3. connection caps (global, per peer process) and rate limits (global, per peer process);
 *  4. a deadline for the whole request line (slow clients are cut) and a 256 KiB cap (cut on
 *     crossing it, without buffering more);
 *  5. MAC, clock window, then the replay cache;
 *  6. the body is parsed and validated, then handed to the actions (handler.ts).
 *
 * The socket's directory is created 0700 (and refused when others can enter it), the socket is made
 * 0600, a stale socket is removed at start — a live one is left alone and the start refused — and
 * the socket is removed on close if it is still ours. Every failure of one connection stays with
 * that connection: no input can crash the server.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { MAX_CLOCK_SKEW_MS, MAX_FRAME_BYTES, refusalLine, signResponse, verifyRequest } from '../protocol/frame.js';
import { type PeerCredentials, requirePeerCheck, socketFd } from './peer-cred.js';
import { RateLimiter } from './rate-limit.js';
import { ReplayCache } from './replay.js';
import { prepareSocketDir, removeStaleSocket } from './socket-path.js';

export interface EndpointLimits {
  maxFrameBytes: number;
  /** The whole request line must arrive within this time. */
  frameTimeoutMs: number;
  clockSkewMs: number;
  maxConnections: number;
  maxConnectionsPerPeer: number;
  perSecond: number;
  burst: number;
  peerPerSecond: number;
  peerBurst: number;
}

export const DEFAULT_LIMITS: EndpointLimits = {
  maxFrameBytes: MAX_FRAME_BYTES,
  frameTimeoutMs: 2_000,
  clockSkewMs: MAX_CLOCK_SKEW_MS,
  maxConnections: 256,
  maxConnectionsPerPeer: 128,
  perSecond: 20_000,
  burst: 20_000,
  peerPerSecond: 5_000,
  peerBurst: 5_000,
};

export type EndpointEvent =
  | { event: 'refused_peer'; uid: number; pid: number }
  | { event: 'refused_frame'; code: string; pid: number }
  | { event: 'internal_error'; message: string };

/** Counters for tests, `serve` shutdown and the benchmark. */
export interface EndpointStats {
  accepted: number;
  answered: number;
  refusedPeer: number;
  peerCheckFailed: number;
  tooManyConnections: number;
  rateLimited: number;
  frameTooLarge: number;
  frameTimeout: number;
  frameMalformed: number;
  frameHmacInvalid: number;
  frameExpired: number;
  frameReplayed: number;
  bodyInvalid: number;
  internalErrors: number;
}

/** The actions: body in, answer out. `signal` (made on first use) aborts when the client goes away (long polls). */
export type ActionHandler = (body: unknown, ctx: { peer: PeerCredentials; readonly signal: AbortSignal }) => Promise<unknown>;

export interface EndpointOptions {
  socketPath: string;
  token: string;
  handle: ActionHandler;
  limits?: Partial<EndpointLimits>;
  onEvent?: (e: EndpointEvent) => void;
}

export interface RunningEndpoint {
  socketPath: string;
  stats: EndpointStats;
  close(): Promise<void>;
}

/** The abort reason of a connection's signal, made once: a DOMException per connection costs a stack trace. */
const CONNECTION_CLOSED = Object.freeze({ name: 'ConnectionClosed', message: 'the client closed the connection' });

const FRAME_COUNTERS = {
  frame_malformed: 'frameMalformed',
  frame_hmac_invalid: 'frameHmacInvalid',
  frame_expired: 'frameExpired',
  frame_replayed: 'frameReplayed',
} as const;

export async function startEndpoint(opts: EndpointOptions): Promise<RunningEndpoint> {
  const peerCred = requirePeerCheck();
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { socketPath, token } = opts;
  prepareSocketDir(socketPath);
  await removeStaleSocket(socketPath);

  const startedAt = Date.now();
  const replay = new ReplayCache(limits.clockSkewMs, startedAt);
  const rate = new RateLimiter(limits, startedAt);
  const myUid = process.geteuid?.() ?? -1;
  const stats: EndpointStats = {
    accepted: 0,
    answered: 0,
    refusedPeer: 0,
    peerCheckFailed: 0,
    tooManyConnections: 0,
    rateLimited: 0,
    frameTooLarge: 0,
    frameTimeout: 0,
    frameMalformed: 0,
    frameHmacInvalid: 0,
    frameExpired: 0,
    frameReplayed: 0,
    bodyInvalid: 0,
    internalErrors: 0,
  };
  const open = new Set<Socket>();
  const perPeer = new Map<number, number>();
  const emit = (e: EndpointEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // a logger failure is not the client's problem
    }
  };

  /**
   * Sends the last line and lets the connection close: reading resumes (discarding anything after
   * the request) so the client's close is seen; a client that never closes goes after a grace period.
   */
  const finish = (sock: Socket, line: string) => {
    if (sock.destroyed) return;
    sock.end(line);
    sock.resume();
    setTimeout(() => sock.destroy(), 1_000).unref();
  };
  const refuse = (sock: Socket, code: string, reason: string) => finish(sock, refusalLine(code, reason));

  const accept = (sock: Socket) => {
    sock.on('error', () => sock.destroy());
    let peer: PeerCredentials;
    try {
      peer = peerCred(socketFd(sock));
    } catch {
      stats.peerCheckFailed++;
      sock.destroy();
      return;
    }
    if (peer.uid !== myUid) {
      stats.refusedPeer++;
      emit({ event: 'refused_peer', uid: peer.uid, pid: peer.pid });
      sock.destroy();
      return;
    }
    stats.accepted++;
    const peerOpen = perPeer.get(peer.pid) ?? 0;
    if (open.size >= limits.maxConnections || peerOpen >= limits.maxConnectionsPerPeer) {
      stats.tooManyConnections++;
      refuse(sock, 'too_many_connections', 'too many open connections; retry shortly');
      return;
    }
    const now = Date.now();
    if (!rate.allow(peer.pid, now)) {
      stats.rateLimited++;
      refuse(sock, 'rate_limited', 'too many requests; slow down');
      return;
    }
    open.add(sock);
    perPeer.set(peer.pid, peerOpen + 1);
    // Made only for the actions that wait (long polls): most requests never need one.
    let controller: AbortController | undefined;
    const ctx = {
      peer,
      get signal() {
        controller ??= new AbortController();
        if (sock.destroyed) controller.abort(CONNECTION_CLOSED);
        return controller.signal;
      },
    };
    sock.once('close', () => {
      open.delete(sock);
      const n = (perPeer.get(peer.pid) ?? 1) - 1;
      if (n <= 0) perPeer.delete(peer.pid);
      else perPeer.set(peer.pid, n);
      controller?.abort(CONNECTION_CLOSED);
    });
    readRequestLine(sock, limits, (line, failure) => {
      if (failure) {
        if (failure === 'frame_too_large') {
          stats.frameTooLarge++;
          refuse(sock, failure, `request line over ${limits.maxFrameBytes} bytes`);
        } else if (failure === 'frame_timeout') {
          stats.frameTimeout++;
          sock.destroy();
        } else {
          stats.frameMalformed++;
          refuse(sock, 'frame_malformed', 'the connection ended before a complete request line');
        }
        emit({ event: 'refused_frame', code: failure, pid: peer.pid });
        return;
      }
      void answer(sock, line as string, ctx);
    });
  };

  const answer = async (sock: Socket, line: string, ctx: { peer: PeerCredentials; readonly signal: AbortSignal }) => {
    const { peer } = ctx;
    const now = Date.now();
    const check = verifyRequest(token, line, now, limits.clockSkewMs);
    const refusal = !check.ok
      ? { code: check.code, reason: check.reason }
      : check.frame.ts < replay.startedAt
        ? { code: 'frame_expired' as const, reason: 'the frame is older than this endpoint' }
        : !replay.remember(check.frame.nonce, check.frame.ts, now)
          ? { code: 'frame_replayed' as const, reason: 'this frame was already received (replay)' }
          : undefined;
    if (!check.ok || refusal) {
      const { code, reason } = refusal as { code: string; reason: string };
      stats[FRAME_COUNTERS[code as keyof typeof FRAME_COUNTERS] ?? 'frameMalformed']++;
      emit({ event: 'refused_frame', code, pid: peer.pid });
      refuse(sock, code, reason);
      return;
    }
    const { nonce, body: bodyText } = check.frame;
    let result: unknown;
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      result = { error: { code: 'body_invalid', reason: 'the body is not JSON' } };
    }
    if (result === undefined) {
      try {
        result = await opts.handle(body, ctx);
      } catch (e) {
        stats.internalErrors++;
        emit({ event: 'internal_error', message: (e as Error)?.message ?? String(e) });
        result = { error: { code: 'internal', reason: 'the endpoint failed to answer this request; it is denied' } };
      }
    }
    if ((result as { error?: { code?: string } } | undefined)?.error?.code === 'body_invalid') stats.bodyInvalid++;
    if (sock.destroyed) return;
    stats.answered++;
    finish(sock, signResponse(token, nonce, result));
  };

  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => {
    try {
      accept(sock);
    } catch (e) {
      stats.internalErrors++;
      emit({ event: 'internal_error', message: (e as Error)?.message ?? String(e) });
      sock.destroy();
    }
  });
  server.on('error', (e) => emit({ event: 'internal_error', message: e.message }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  const ino = lstatSync(socketPath).ino;

  let closed: Promise<void> | undefined;
  return {
    socketPath,
    stats,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
        try {
          // Only our own socket: if someone replaced it, it is not ours to delete.
          if (lstatSync(socketPath).ino === ino) unlinkSync(socketPath);
        } catch {
          // already gone
        }
      });
      return closed;
    },
  };
}

/**
 * Reads one `\n`-terminated line within the deadline and the size cap, then stops reading: one
 * request per connection, anything after the newline is ignored.
 */
function readRequestLine(
  sock: Socket,
  limits: EndpointLimits,
  done: (line: string | undefined, failure?: 'frame_too_large' | 'frame_timeout' | 'frame_truncated') => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (line: string | undefined, failure?: 'frame_too_large' | 'frame_timeout' | 'frame_truncated') => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.off('data', onData);
    sock.off('end', onEnd);
    sock.pause();
    done(line, failure);
  };
  const timer = setTimeout(() => finish(undefined, 'frame_timeout'), limits.frameTimeoutMs);
  const onData = (chunk: Buffer) => {
    const nl = chunk.indexOf(10);
    const take = nl === -1 ? chunk.length : nl;
    if (size + take > limits.maxFrameBytes) return finish(undefined, 'frame_too_large');
    chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
    size += take;
    if (nl !== -1) finish(Buffer.concat(chunks, size).toString('utf8'));
  };
  const onEnd = () => finish(undefined, 'frame_truncated');
  sock.on('data', onData);
  sock.on('end', onEnd);
  sock.resume();
}
