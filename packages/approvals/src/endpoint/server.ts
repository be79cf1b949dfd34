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
 *  6. the body is parsed and validated, then handed to the actions (actions.ts) — the complete
 *     lines of one turn of the event loop together, right after its I/O callbacks (answerWaiting).
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

/** What an action knows about its request. */
export interface RequestContext {
  peer: PeerCredentials;
  /** `performance.now()` when the request line was complete: inputs checked after it are current for it. */
  readonly receivedAt: number;
  /** Aborts when the client goes away or stops sending (long polls end then); made on first use. */
  readonly signal: AbortSignal;
}

/** The actions: body in, answer out — at once when they can, as a promise when they must wait. */
export type ActionHandler = (body: unknown, ctx: RequestContext) => unknown;

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

/** How long an answered (or refused) client may keep its end open before it is cut. */
const LINGER_MS = 1_000;

const FRAME_COUNTERS = {
  frame_malformed: 'frameMalformed',
  frame_hmac_invalid: 'frameHmacInvalid',
  frame_expired: 'frameExpired',
  frame_replayed: 'frameReplayed',
} as const;

/** Reading the request line (under the frame deadline), handling it (no deadline: long polls), answered (lingering). */
const READING = 0;
const HANDLING = 1;
const ANSWERED = 2;

/**
 * One connection from a peer that passed the UID check, and the context its request is handled in.
 * Its deadline is enforced by the endpoint's one sweep (no timer per connection).
 */
class Connection implements RequestContext {
  phase = READING;
  deadline: number;
  receivedAt = 0;
  /** The request line so far. */
  chunks: Buffer[] = [];
  /** The complete request line while it waits to be answered (answerWaiting). */
  line: string | undefined;
  size = 0;
  /** Bytes after the request line (ignored, but bounded). */
  extra = 0;
  /** Neighbours in the endpoint's list of open connections (Tracked), unset once it is out of it. */
  prev: Connection | undefined;
  next: Connection | undefined;
  private controller: AbortController | undefined;
  /** The client closed, or ended its side: nothing more will come from it. */
  private gone = false;

  constructor(
    readonly sock: Socket,
    readonly peer: PeerCredentials,
    /** Whether it counts toward the connection caps (refused ones linger without counting). */
    readonly counted: boolean,
    deadline: number,
  ) {
    this.deadline = deadline;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.gone || this.sock.destroyed) this.controller.abort(CONNECTION_CLOSED);
    return this.controller.signal;
  }

  closed(): void {
    this.gone = true;
    this.controller?.abort(CONNECTION_CLOSED);
  }
}

type LineFailure = 'frame_too_large' | 'frame_truncated';

/**
 * The open connections, linked through the connections themselves. Not a Set: with one add and one
 * delete per connection a Set's table is rebuilt every few connections, and each table it leaves
 * behind keeps the connections it held reachable for the young-generation GC until the next full
 * GC, so every connection's objects (socket, buffers, closures) survived scavenges and were
 * promoted. A connection taken out of the list keeps no link to the others.
 */
class Tracked {
  private head: Connection | undefined;

  add(c: Connection): void {
    c.next = this.head;
    if (this.head) this.head.prev = c;
    this.head = c;
  }

  delete(c: Connection): void {
    if (c.prev) c.prev.next = c.next;
    else if (this.head === c) this.head = c.next;
    else return; // not in the list
    if (c.next) c.next.prev = c.prev;
    c.prev = undefined;
    c.next = undefined;
  }

  /** Calls `f` on each connection; `f` may take the one it is given out of the list. */
  forEach(f: (c: Connection) => void): void {
    for (let c = this.head; c; ) {
      const next = c.next;
      f(c);
      c = next;
    }
  }
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

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
  /** Every connection of an accepted peer until it closes (the sweep's list). */
  const tracked = new Tracked();
  /** Those that count toward the caps, in all and per peer process. */
  let counted = 0;
  const perPeer = new Map<number, number>();
  const emit = (e: EndpointEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // a logger failure is not the client's problem
    }
  };

  /**
   * Sends the last line and closes. When the whole request was read and nothing followed it, the
   * connection closes as soon as the kernel holds the answer: the client reads it, then the end.
   * Otherwise (refused before or while reading, bytes after the line, an answer larger than the
   * socket buffer) the write side is ended and reading goes on, discarding within the frame cap,
   * so a client still writing is not reset before it reads the answer; one that never closes is
   * cut after LINGER_MS.
   */
  const finish = (c: Connection, line: string) => {
    const { sock } = c;
    if (sock.destroyed) return;
    const requestRead = c.phase === HANDLING;
    c.phase = ANSWERED;
    c.chunks = [];
    sock.write(line);
    if (requestRead && c.extra === 0 && sock.writableLength === 0) {
      sock.destroy();
      return;
    }
    c.deadline = Date.now() + LINGER_MS;
    sock.end();
  };
  const refuse = (c: Connection, code: string, reason: string) => finish(c, refusalLine(code, reason));

  /** Deadlines: one timer for the endpoint, not one per connection; a deadline is kept within `sweepMs` of its time. */
  const sweepMs = Math.max(10, Math.min(250, Math.floor(limits.frameTimeoutMs / 8)));
  const sweep = setInterval(() => {
    const now = Date.now();
    tracked.forEach((c) => {
      if (c.deadline > now) return;
      c.deadline = Number.POSITIVE_INFINITY;
      if (c.phase === READING) {
        stats.frameTimeout++;
        emit({ event: 'refused_frame', code: 'frame_timeout', pid: c.peer.pid });
      }
      c.sock.destroy();
    });
  }, sweepMs);
  sweep.unref();

  const track = (sock: Socket, peer: PeerCredentials, countIt: boolean, now: number): Connection => {
    const c = new Connection(sock, peer, countIt, now + limits.frameTimeoutMs);
    tracked.add(c);
    if (countIt) {
      counted++;
      perPeer.set(peer.pid, (perPeer.get(peer.pid) ?? 0) + 1);
    }
    sock.on('close', () => {
      tracked.delete(c);
      if (c.counted) {
        counted--;
        const n = (perPeer.get(peer.pid) ?? 1) - 1;
        if (n <= 0) perPeer.delete(peer.pid);
        else perPeer.set(peer.pid, n);
      }
      c.closed();
    });
    return c;
  };

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
    const now = Date.now();
    if (counted >= limits.maxConnections || (perPeer.get(peer.pid) ?? 0) >= limits.maxConnectionsPerPeer) {
      stats.tooManyConnections++;
      const c = track(sock, peer, false, now);
      sock.on('data', (chunk: Buffer) => discard(c, chunk));
      refuse(c, 'too_many_connections', 'too many open connections; retry shortly');
      sock.resume();
      return;
    }
    if (!rate.allow(peer.pid, now)) {
      stats.rateLimited++;
      const c = track(sock, peer, false, now);
      sock.on('data', (chunk: Buffer) => discard(c, chunk));
      refuse(c, 'rate_limited', 'too many requests; slow down');
      sock.resume();
      return;
    }
    const c = track(sock, peer, true, now);
    sock.on('data', (chunk: Buffer) => (c.phase === READING ? read(c, chunk) : discard(c, chunk)));
    sock.on('end', () => {
      if (c.phase === READING) lineFailed(c, 'frame_truncated');
      // The socket is half-open (allowHalfOpen): a client that went away, or one that ended its side
      // and still reads. Either way a wait ends now; the answer is still written for one that reads.
      else if (c.phase === HANDLING) c.closed();
    });
    sock.resume();
  };

  /** After the request line: ignored, but a client cannot make the endpoint read without end. */
  const discard = (c: Connection, chunk: Buffer) => {
    c.extra += chunk.length;
    if (c.extra > limits.maxFrameBytes) {
      answerLine(c);
      c.sock.destroy();
    }
  };

  /** Collects the request line within the size cap; anything after its newline is ignored. */
  const read = (c: Connection, chunk: Buffer) => {
    const nl = chunk.indexOf(10);
    const take = nl === -1 ? chunk.length : nl;
    if (c.size + take > limits.maxFrameBytes) {
      c.extra = chunk.length;
      return lineFailed(c, 'frame_too_large');
    }
    if (nl === -1) {
      c.chunks.push(chunk);
      c.size += take;
      return;
    }
    c.phase = HANDLING;
    c.deadline = Number.POSITIVE_INFINITY;
    c.receivedAt = performance.now();
    c.extra = chunk.length - nl - 1;
    const line = c.chunks.length === 0 ? chunk.toString('utf8', 0, nl) : Buffer.concat([...c.chunks, chunk.subarray(0, nl)], c.size + nl).toString('utf8');
    c.chunks = [];
    c.line = line;
    waiting.push(c);
    if (waiting.length === 1) setImmediate(answerWaiting);
  };

  /**
   * Complete request lines are answered together once the I/O callbacks of this turn of the event
   * loop have run (setImmediate: the check phase right after the poll phase), not each inside its
   * own data callback. All of them were received before any of them is decided, so one check of
   * the policy's inputs (policy-source.ts: a check stands for every request received before it)
   * serves all the requests of a turn instead of one check — three lstat — per request.
   */
  let waiting: Connection[] = [];
  let spare: Connection[] = [];
  const answerWaiting = () => {
    const these = waiting;
    waiting = spare;
    for (const c of these) answerLine(c);
    these.length = 0;
    spare = these;
  };
  /** Answers the connection's waiting line, once (a connection cut while waiting is answered first: discard). */
  const answerLine = (c: Connection) => {
    const line = c.line;
    if (line === undefined) return;
    c.line = undefined;
    try {
      answer(c, line);
    } catch (e) {
      stats.internalErrors++;
      emit({ event: 'internal_error', message: (e as Error)?.message ?? String(e) });
      c.sock.destroy();
    }
  };

  const lineFailed = (c: Connection, failure: LineFailure) => {
    if (failure === 'frame_too_large') {
      stats.frameTooLarge++;
      refuse(c, failure, `request line over ${limits.maxFrameBytes} bytes`);
    } else {
      stats.frameMalformed++;
      refuse(c, 'frame_malformed', 'the connection ended before a complete request line');
    }
    emit({ event: 'refused_frame', code: failure, pid: c.peer.pid });
  };

  const answer = (c: Connection, line: string) => {
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
      emit({ event: 'refused_frame', code, pid: c.peer.pid });
      refuse(c, code, reason);
      return;
    }
    const { nonce, body: bodyText } = check.frame;
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      respond(c, nonce, { error: { code: 'body_invalid', reason: 'the body is not JSON' } });
      return;
    }
    let result: unknown;
    try {
      result = opts.handle(body, c);
    } catch (e) {
      result = internalError(e);
    }
    if (isPromiseLike(result))
      result.then(
        (r) => respond(c, nonce, r),
        (e) => respond(c, nonce, internalError(e)),
      );
    else respond(c, nonce, result);
  };

  const internalError = (e: unknown) => {
    stats.internalErrors++;
    emit({ event: 'internal_error', message: (e as Error)?.message ?? String(e) });
    return { error: { code: 'internal', reason: 'the endpoint failed to answer this request; it is denied' } };
  };

  const respond = (c: Connection, nonce: string, result: unknown) => {
    if ((result as { error?: { code?: string } } | undefined)?.error?.code === 'body_invalid') stats.bodyInvalid++;
    if (c.sock.destroyed) return;
    let line: string;
    try {
      line = signResponse(token, nonce, result);
    } catch (e) {
      line = signResponse(token, nonce, internalError(e));
    }
    stats.answered++;
    finish(c, line);
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
  }).catch((e) => {
    clearInterval(sweep);
    throw e;
  });
  chmodSync(socketPath, 0o600);
  const ino = lstatSync(socketPath).ino;

  let closed: Promise<void> | undefined;
  return {
    socketPath,
    stats,
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        tracked.forEach((c) => {
          c.sock.destroy();
        });
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
