/**
 * The request bodies nearly every request is — `ping` and a plain `local.exec` (argv or command,
 * cwd, and the optional host, security, ask, agentId, sessionId, sandboxId) — checked by hand,
 * without loading zod. This only ever *accepts*: a body it accepts is one the zod schema
 * (messages.ts, `RequestBody`) accepts, with the same value; anything else, including every body
 * the schema refuses and the rarer shapes (env, approvalToken, waitMs, the operator actions), gets
 * `undefined` and goes to the schema, which decides and words the refusal. So the boundary rejects
 * exactly what the schema rejects (test: protocol/common-bodies.test.ts compares the two).
 */
import type { RequestBody } from './messages.js';

type ExecBody = Extract<RequestBody, { action: 'local.exec' }>;

const ARG_MAX = 65_536;
const AGENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const enumOk = (v: unknown, a: string, b: string, c: string) => v === undefined || v === a || v === b || v === c;

/** null, undefined, or a string of 1–256 UTF-16 units (messages.ts `ContextId`). */
const contextIdOk = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.length >= 1 && v.length <= 256);

function execRequestOk(r: Record<string, unknown>): boolean {
  for (const k in r)
    switch (k) {
      case 'argv':
      case 'command':
      case 'cwd':
      case 'host':
      case 'security':
      case 'ask':
      case 'agentId':
      case 'sessionId':
      case 'sandboxId':
        break;
      default:
        return false; // env, or a key the schema refuses
    }
  const { argv, command, cwd, agentId } = r;
  if (typeof cwd !== 'string' || cwd.length < 1 || cwd.length > 4_096 || cwd.charCodeAt(0) !== 47 /* / */) return false;
  if (argv !== undefined) {
    if (command !== undefined || !Array.isArray(argv) || argv.length < 1 || argv.length > 4_096) return false;
    for (let i = 0; i < argv.length; i++) {
      const a: unknown = argv[i];
      if (typeof a !== 'string' || a.length > ARG_MAX) return false;
    }
  } else if (typeof command !== 'string' || command.length > ARG_MAX) return false;
  if (!enumOk(r.host, 'sandbox', 'gateway', 'node') || !enumOk(r.security, 'deny', 'allowlist', 'full') || !enumOk(r.ask, 'off', 'on-miss', 'always'))
    return false;
  if (agentId !== undefined && agentId !== null && (typeof agentId !== 'string' || !AGENT_ID.test(agentId))) return false;
  return contextIdOk(r.sessionId) && contextIdOk(r.sandboxId);
}

/** The body, typed, when it is one of the common shapes and valid; undefined otherwise (ask the schema). */
export function checkCommonBody(raw: unknown): RequestBody | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { action } = raw;
  if (action === 'ping') {
    for (const k in raw) if (k !== 'action') return undefined;
    return { action: 'ping' };
  }
  if (action !== 'local.exec') return undefined;
  for (const k in raw) if (k !== 'action' && k !== 'request') return undefined;
  const request = raw.request;
  if (!isPlainObject(request) || !execRequestOk(request)) return undefined;
  return raw as ExecBody;
}
