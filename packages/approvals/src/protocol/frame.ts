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
import { createHmac, createSecretKey, type KeyObject, randomFillSync, timingSafeEqual } from 'node:crypto';

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

/** The token as a KeyObject, made once per token: createHmac with a string key converts and imports it on every call. */
let keyFor: { token: string; key: KeyObject } | undefined;
function macKey(token: string): KeyObject {
  if (keyFor?.token !== token) keyFor = { token, key: createSecretKey(Buffer.from(token, 'utf8')) };
  return keyFor.key;
}

function mac(token: string, input: string): Buffer {
  return createHmac('sha256', macKey(token)).update(input).digest();
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
  const hmac = mac(token, `${nonce}:${ts}:${text}`).toString('hex');
  return { line: `${JSON.stringify({ nonce, ts, body: text, hmac })}\n`, nonce };
}

/** A response line for the request that carried `nonce`. */
export function signResponse(token: string, nonce: string, body: unknown, ts = Date.now()): string {
  const text = JSON.stringify(body);
  const hmac = createHmac('sha256', macKey(token)).update(`resp:${nonce}:${ts}:${text}`).digest('hex');
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

function macMatches(expected: Buffer, hexMac: string): boolean {
  const given = Buffer.from(hexMac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Checks a request line's shape, MAC and clock (the replay check is the server's: it owns the cache). */
export function verifyRequest(token: string, line: string, now = Date.now(), skewMs = MAX_CLOCK_SKEW_MS): FrameCheck {
  const frame = parseFrame(line);
  if (!frame) return { ok: false, code: 'frame_malformed', reason: 'not a request frame: expected {"nonce","ts","body","hmac"}' };
  if (!macMatches(mac(token, `${frame.nonce}:${frame.ts}:${frame.body}`), frame.hmac))
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
  if (!macMatches(mac(token, `resp:${frame.nonce}:${frame.ts}:${frame.body}`), frame.hmac))
    return { ok: false, reason: 'the response is not signed with the socket token: something else is listening on the socket' };
  return { ok: true, body: frame.body };
}
