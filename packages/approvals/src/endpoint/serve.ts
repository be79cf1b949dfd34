/**
 * `approvals serve` as a library: the socket token (created when missing), the token store (memory
 * or SQLite), the reloading policy, the actions and the socket, plus the pruning timer that expires
 * tokens past their TTL and deletes old finished ones.
 */
import { randomBytes } from 'node:crypto';
import { OpenclawError } from '@openclaw/policy';
import { type ApprovalsLocation, type LocateOptions, locateApprovals } from '../file/locate.js';
import { ensureSocketToken, MIN_SOCKET_TOKEN_LENGTH } from '../file/write.js';
import type { TokenTtls } from '../tokens/machine.js';
import { openSqliteTokenStore } from '../tokens/sqlite-table.js';
import { createMemoryTokenStore, type TokenStore } from '../tokens/store.js';
import { type ApprovalEvent, createActions } from './actions.js';
import { requirePeerCheck } from './peer-cred.js';
import { PolicySource } from './policy-source.js';
import { type EndpointEvent, type EndpointLimits, type EndpointStats, startEndpoint } from './server.js';

export interface ApprovalsServerOptions extends LocateOptions {
  /** Where things are (default: located from the options like the commands do). */
  location?: ApprovalsLocation;
  ttls?: Partial<TokenTtls>;
  limits?: Partial<EndpointLimits>;
  maxPending?: number;
  pruneIntervalMs?: number;
  onEvent?: (e: ApprovalEvent | EndpointEvent) => void;
}

export interface ApprovalsServer {
  socketPath: string;
  approvalsPath: string;
  tokenStore: ApprovalsLocation['tokenStore'];
  /** Whether this start generated the socket token. */
  tokenCreated: boolean;
  store: TokenStore;
  stats: EndpointStats;
  close(): Promise<void>;
}

export async function startApprovalsServer(opts: ApprovalsServerOptions = {}): Promise<ApprovalsServer> {
  // Refuse before touching any file when the peer check cannot work here.
  requirePeerCheck();
  const location = opts.location ?? (await locateApprovals(opts));
  const { token, created } = await ensureSocketToken(location.approvalsPath);
  if (token.length < MIN_SOCKET_TOKEN_LENGTH)
    throw new OpenclawError({
      code: 'socket_token_weak',
      reason: `the socket token in ${location.approvalsPath} is shorter than ${MIN_SOCKET_TOKEN_LENGTH} characters`,
      hint: 'remove socket.token from the file (`openclaw approvals set`) and serve again: a strong one is generated',
    });
  const policy = new PolicySource({
    approvalsPath: location.approvalsPath,
    configFile: location.configFile,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  // A config or approvals problem at start is reported now, not as the first request's deny.
  await policy.current();
  const storeOpts = { ...(opts.ttls ? { ttls: opts.ttls } : {}), ...(opts.maxPending ? { maxPending: opts.maxPending } : {}) };
  const store = location.tokenStore === 'memory' ? createMemoryTokenStore(storeOpts) : await openSqliteTokenStore(location.tokenStore.sqlite, storeOpts);
  const onEvent = opts.onEvent;
  const actions = createActions({
    policy,
    store,
    approvalsPath: location.approvalsPath,
    epoch: randomBytes(8).toString('hex'),
    ...(onEvent ? { onEvent } : {}),
  });
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  try {
    endpoint = await startEndpoint({
      socketPath: location.socketPath,
      token,
      handle: actions,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(onEvent ? { onEvent } : {}),
    });
  } catch (e) {
    store.close();
    throw e;
  }
  const timer = setInterval(() => {
    try {
      for (const r of store.prune().expired) onEvent?.({ event: 'expired', token: r });
    } catch (e) {
      onEvent?.({ event: 'internal_error', message: `pruning tokens: ${(e as Error).message}` });
    }
  }, opts.pruneIntervalMs ?? 1_000);
  timer.unref();
  return {
    socketPath: location.socketPath,
    approvalsPath: location.approvalsPath,
    tokenStore: location.tokenStore,
    tokenCreated: created,
    store,
    stats: endpoint.stats,
    async close() {
      clearInterval(timer);
      await endpoint.close();
      store.close();
    },
  };
}
