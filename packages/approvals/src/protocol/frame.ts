/**
 * The endpoint's wire format (SPEC §4). One connection carries one request line and one response
 * line, each a JSON object terminated by `\n`:
 *
 *   request  {"nonce": N, "ts": T, "body": B, "hmac": H}   H = hex HMAC-SHA256(token, `N:T:B`)
 *   response {"nonce": N, "ts": T, "body": B, "hmac": H}   H = hex HMAC-SHA256(token, `resp:N:T:B`)
 *   refusal  {"error": {"code": C, "reason": R}}           (unauthenticated: never a decision)
 *
 * `token` is the approvals file's `socket.token` (its UTF-8 bytes are the key); `N` 16+ random
 * bytes, base64url; `T` milliseconds since the epoch; `B` the JSON body as a string, so the MAC
 * covers its exact bytes. The server refuses a bad MAC (compared in constant time), |now − T| over
 * 10 s, a nonce it has seen (remembered for longer than that window) and lines over 256 KiB. A
 * response echoes the request's nonce and is MACed in its own domain, so a client can tell the real
 * endpoint's answer from anything else on the socket, and a response can never pass as a request.
 */
import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';

export const MAX_FRAME_BYTES = 256 * 1024;
export const MAX_CLOCK_SKEW_MS = 10_000;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const HEX_MAC = /^[0-9a-f]{64}$/;

export interface Frame {
  nonce: string;
  ts: number;
  body: string;
  hmac: string;
}

export type FrameRefusalCode = 'frame_malformed' | 'frame_hmac_invalid' | 'frame_expired' | 'frame_replayed' | 'frame_too_large' | 'frame_timeout';

export type FrameCheck = { ok: true; frame: Frame } | { ok: false; code: FrameRefusalCode; reason: string };

/** SHA-256's block size in bytes. */
const BLOCK = 64;
/** Message bytes a MacKey's own buffer holds (requests and answers are far smaller). */
const SCRATCH = 16 * 1024;

/**
 * HMAC-SHA256 (RFC 2104) keyed with one token: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) over the one-shot
 * crypto.hash, the padded key blocks made once per token. The same MAC as
 * createHmac('sha256', token).update(m).digest(), without an Hmac object and an OpenSSL MAC context
 * set up per call, and with digests taken as hex strings written into buffers made once (a Buffer
 * returned by native code costs more than the hash of a frame).
 */
class MacKey {
  /** `K ⊕ ipad`, then room for a message of up to SCRATCH bytes (written in place). */
  private readonly inner = Buffer.alloc(BLOCK + SCRATCH);
  /** `K ⊕ opad`, then the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK + 32);
  /** A computed MAC and a received one, decoded for the constant-time comparison. */
  private readonly expected = Buffer.alloc(32);
  private readonly given = Buffer.alloc(32);

  constructor(readonly token: string) {
    let k = Buffer.from(token, 'utf8');
    if (k.length > BLOCK) k = hash('sha256', k, 'buffer');
    for (let i = 0; i < BLOCK; i++) {
      const b = k[i] ?? 0;
      this.inner[i] = b ^ 0x36;
      this.outer[i] = b ^ 0x5c;
    }
  }

  /** The MAC of `input`, hex. */
  hex(input: string): string {
    // A UTF-16 code unit is at most 3 UTF-8 bytes; a longer message gets a buffer of its own.
    let inner = this.inner;
    if (input.length * 3 > SCRATCH) {
      inner = Buffer.allocUnsafe(BLOCK + Buffer.byteLength(input, 'utf8'));
      this.inner.copy(inner, 0, 0, BLOCK);
    }
    const n = inner.write(input, BLOCK, 'utf8');
    this.outer.write(hash('sha256', inner.subarray(0, BLOCK + n), 'hex'), BLOCK, 'hex');
    return hash('sha256', this.outer, 'hex');
  }

  /** Whether `hexMac` (64 hex digits) is the MAC of `input`, compared in constant time. */
  matches(input: string, hexMac: string): boolean {
    if (hexMac.length !== 64 || this.given.write(hexMac, 'hex') !== 32) return false;
    this.expected.write(this.hex(input), 'hex');
    return timingSafeEqual(this.given, this.expected);
  }
}

/** The MAC key of the last token used (one per process in practice). */
let keyFor: MacKey | undefined;
function macKey(token: string): MacKey {
  if (keyFor?.token !== token) keyFor = new MacKey(token);
  return keyFor;
}

const NONCE_BYTES = 18;
/** CSPRNG bytes drawn 256 nonces at a time: one randomFillSync costs about what one small randomBytes does. */
const noncePool = Buffer.allocUnsafe(NONCE_BYTES * 256);
let noncePoolUsed = noncePool.length;

/** A fresh nonce (each pool byte is used once; nonces are public, only their uniqueness matters). */
export function newNonce(): string {
  if (noncePoolUsed === noncePool.length) {
    randomFillSync(noncePool);
    noncePoolUsed = 0;
  }
  const nonce = noncePool.toString('base64url', noncePoolUsed, noncePoolUsed + NONCE_BYTES);
  noncePoolUsed += NONCE_BYTES;
  return nonce;
}

/** A request line for `body`. */
export function signRequest(token: string, body: unknown, opts: { nonce?: string; ts?: number } = {}): { line: string; nonce: string } {
  const nonce = opts.nonce ?? newNonce();
  const ts = opts.ts ?? Date.now();
  const text = JSON.stringify(body);
  const hmac = macKey(token).hex(`${nonce}:${ts}:${text}`);
  return { line: `${JSON.stringify({ nonce, ts, body: text, hmac })}\n`, nonce };
}

/** A response line for the request that carried `nonce`. */
export function signResponse(token: string, nonce: string, body: unknown, ts = Date.now()): string {
  const text = JSON.stringify(body);
  const hmac = macKey(token).hex(`resp:${nonce}:${ts}:${text}`);
  // The same bytes as JSON.stringify({nonce, ts, body, hmac}), without building the object.
  return `{"nonce":${JSON.stringify(nonce)},"ts":${ts},"body":${JSON.stringify(text)},"hmac":"${hmac}"}\n`;
}

export function refusalLine(code: string, reason: string): string {
  return `${JSON.stringify({ error: { code, reason } })}\n`;
}

function parseFrame(line: string): Frame | undefined {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const f = data as Record<string, unknown>;
  if (typeof f.nonce !== 'string' || !NONCE.test(f.nonce)) return undefined;
  if (typeof f.ts !== 'number' || !Number.isSafeInteger(f.ts)) return undefined;
  if (typeof f.body !== 'string' || typeof f.hmac !== 'string' || !HEX_MAC.test(f.hmac)) return undefined;
  return { nonce: f.nonce, ts: f.ts, body: f.body, hmac: f.hmac };
}

/** Checks a request line's shape, MAC and clock (the replay check is the server's: it owns the cache). */
export function verifyRequest(token: string, line: string, now = Date.now(), skewMs = MAX_CLOCK_SKEW_MS): FrameCheck {
  const frame = parseFrame(line);
  if (!frame) return { ok: false, code: 'frame_malformed', reason: 'not a request frame: expected {"nonce","ts","body","hmac"}' };
  if (!macKey(token).matches(`${frame.nonce}:${frame.ts}:${frame.body}`, frame.hmac))
    return { ok: false, code: 'frame_hmac_invalid', reason: 'the frame is not signed with this endpoint’s socket token' };
  if (Math.abs(now - frame.ts) > skewMs)
    return {
      ok: false,
      code: 'frame_expired',
      reason: `the frame's timestamp is ${Math.round((now - frame.ts) / 1000)} s away from now (limit ${skewMs / 1000} s)`,
    };
  return { ok: true, frame };
}

/** Checks a response line against the request nonce; returns the body text. */
export function verifyResponse(
  token: string,
  nonce: string,
  line: string,
): { ok: true; body: string } | { ok: false; reason: string; error?: { code: string; reason: string } } {
  const frame = parseFrame(line);
  if (!frame) {
    try {
      const refusal = JSON.parse(line) as { error?: { code?: unknown; reason?: unknown } };
      if (refusal?.error && typeof refusal.error.code === 'string')
        return {
          ok: false,
          reason: `the endpoint refused the request: ${String(refusal.error.reason)}`,
          error: { code: refusal.error.code, reason: String(refusal.error.reason) },
        };
    } catch {
      // not JSON at all
    }
    return { ok: false, reason: 'the endpoint answered something that is not a response frame' };
  }
  if (frame.nonce !== nonce) return { ok: false, reason: 'the response answers another request (nonce mismatch)' };
  if (!macKey(token).matches(`resp:${frame.nonce}:${frame.ts}:${frame.body}`, frame.hmac))
    return { ok: false, reason: 'the response is not signed with the socket token: something else is listening on the socket' };
  return { ok: true, body: frame.body };
}
