/**
 * The token store: the state machine (machine.ts) over a table of records, in memory (default) or
 * in SQLite (tokens survive a restart). Every transition is read-check-write inside one table
 * transaction — trivially atomic in memory (one thread, no await inside), `BEGIN IMMEDIATE` in
 * SQLite (atomic across connections too) — so of N concurrent consumers exactly one wins.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  applyConsume,
  applyOperatorAction,
  type ConsumeResult,
  DEFAULT_TTLS,
  type OperatorAction,
  type TokenBinding,
  type TokenRecord,
  type TokenRequestView,
  type TokenState,
  type TokenTtls,
  type TransitionResult,
  withExpiry,
} from './machine.js';

/** Storage of token records; implementations: MemoryTokenTable, SqliteTokenTable. */
export interface TokenTable {
  transaction<T>(fn: () => T): T;
  get(id: string): TokenRecord | undefined;
  /** Records whose id starts with `prefix` (at most `limit`). */
  withPrefix(prefix: string, limit: number): TokenRecord[];
  insert(r: TokenRecord): void;
  update(r: TokenRecord): void;
  /** In issue order. */
  list(states?: readonly TokenState[], afterSeq?: number): TokenRecord[];
  count(states: readonly TokenState[]): number;
  maxSeq(): number;
  remove(ids: readonly string[]): void;
  close(): void;
}

export interface TokenStoreOptions {
  ttls?: Partial<TokenTtls>;
  /** How long finished tokens are kept (so a late retry hears "expired", not "unknown"). */
  retainMs?: number;
  /** Most tokens pending at once; more is refused (a flood of asks cannot exhaust memory). */
  maxPending?: number;
  now?: () => number;
}

/**
 * Token ids: 128 random bits, base64url (22 characters), never starting with `-`: people type them as
 * command arguments (`approvals deny ID`), where a leading dash reads as a flag (1 id in 64 did).
 */
export function newTokenId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id[0] !== '-') return id;
  }
}

export const MIN_ID_PREFIX = 6;

export class TokenStore {
  readonly ttls: TokenTtls;
  readonly retainMs: number;
  readonly maxPending: number;
  private readonly now: () => number;
  /** 'change' (record) after every transition made through this store. */
  readonly events = new EventEmitter();
  /** Counts the changes made through this store (watchers wait for it to move). */
  version = 0;

  constructor(
    private readonly table: TokenTable,
    opts: TokenStoreOptions = {},
  ) {
    this.ttls = { ...DEFAULT_TTLS, ...opts.ttls };
    this.retainMs = opts.retainMs ?? 600_000;
    this.maxPending = opts.maxPending ?? 1_000;
    this.now = opts.now ?? Date.now;
    this.events.setMaxListeners(0);
  }

  private emit(r: TokenRecord): TokenRecord {
    this.version++;
    this.events.emit('change', r);
    return r;
  }

  /** A new Pending token, or undefined when too many are pending already. */
  issue(binding: TokenBinding, request: TokenRequestView): TokenRecord | undefined {
    const now = this.now();
    const r = this.table.transaction(() => {
      if (this.table.count(['pending']) >= this.maxPending) return undefined;
      const rec: TokenRecord = {
        id: newTokenId(),
        seq: this.table.maxSeq() + 1,
        state: 'pending',
        createdAt: now,
        updatedAt: now,
        expiresAt: now + this.ttls.pendingMs,
        binding,
        request,
      };
      this.table.insert(rec);
      return rec;
    });
    return r && this.emit(r);
  }

  get(id: string): TokenRecord | undefined {
    const r = this.table.get(id);
    return r && withExpiry(r, this.now());
  }

  /** A token by full id or unique prefix (≥ 6 characters), for humans typing `approve ID`. */
  resolveId(idOrPrefix: string): { ok: true; id: string } | { ok: false; code: 'token_unknown' | 'token_ambiguous'; reason: string } {
    if (this.table.get(idOrPrefix)) return { ok: true, id: idOrPrefix };
    if (idOrPrefix.length >= MIN_ID_PREFIX && /^[A-Za-z0-9_-]+$/.test(idOrPrefix)) {
      const hits = this.table.withPrefix(idOrPrefix, 2);
      if (hits.length === 1) return { ok: true, id: (hits[0] as TokenRecord).id };
      if (hits.length > 1) return { ok: false, code: 'token_ambiguous', reason: `more than one token starts with ${idOrPrefix}: give more characters` };
    }
    return { ok: false, code: 'token_unknown', reason: `no token ${idOrPrefix} (unknown, or finished and pruned)` };
  }

  list(states?: readonly TokenState[], afterSeq?: number): TokenRecord[] {
    const now = this.now();
    const all = this.table.list(undefined, afterSeq).map((r) => withExpiry(r, now));
    return states ? all.filter((r) => states.includes(r.state)) : all;
  }

  operate(idOrPrefix: string, action: OperatorAction, opts: { scope?: 'once' | 'always'; reason?: string } = {}): TransitionResult {
    const found = this.resolveId(idOrPrefix);
    if (!found.ok) return found;
    const now = this.now();
    const result = this.table.transaction((): TransitionResult => {
      const cur = this.table.get(found.id);
      if (!cur) return { ok: false, code: 'token_unknown', reason: `no token ${idOrPrefix}` };
      const next = applyOperatorAction(cur, action, now, this.ttls, opts);
      if (next.ok) this.table.update(next.record);
      else {
        const expired = withExpiry(cur, now);
        if (expired !== cur) this.table.update(expired);
      }
      return next;
    });
    if (result.ok) this.emit(result.record);
    return result;
  }

  /** The retry: consumes an Approved token whose binding matches, atomically. */
  consume(id: string, presented: TokenBinding): ConsumeResult {
    const now = this.now();
    const result = this.table.transaction((): ConsumeResult => {
      const cur = this.table.get(id);
      if (!cur) return { ok: false, code: 'token_unknown', reason: 'unknown approval token (never issued here, or finished and pruned)' };
      const next = applyConsume(cur, presented, now);
      if (next.ok) this.table.update(next.record);
      else if (next.record && next.record !== cur && next.record.state !== cur.state) this.table.update(next.record);
      return next;
    });
    if (result.ok) this.emit(result.record);
    return result;
  }

  /** Expires live tokens past their TTL and deletes finished ones older than the retention. */
  prune(): { expired: TokenRecord[]; deleted: number } {
    const now = this.now();
    const { expired, deleted } = this.table.transaction(() => {
      const expired: TokenRecord[] = [];
      const old: string[] = [];
      for (const r of this.table.list()) {
        const cur = withExpiry(r, now);
        if (cur !== r) {
          this.table.update(cur);
          expired.push(cur);
        } else if (cur.state !== 'pending' && cur.state !== 'approved' && now - cur.updatedAt > this.retainMs) old.push(cur.id);
      }
      this.table.remove(old);
      return { expired, deleted: old.length };
    });
    for (const r of expired) this.emit(r);
    return { expired, deleted };
  }

  close(): void {
    this.table.close();
  }
}

/** Records in a Map: the default store of `approvals serve` (tokens end with the process). */
export class MemoryTokenTable implements TokenTable {
  private readonly records = new Map<string, TokenRecord>();
  private seq = 0;

  transaction<T>(fn: () => T): T {
    return fn();
  }
  get(id: string) {
    return this.records.get(id);
  }
  withPrefix(prefix: string, limit: number) {
    const out: TokenRecord[] = [];
    for (const [id, r] of this.records) {
      if (id.startsWith(prefix)) out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }
  insert(r: TokenRecord) {
    this.records.set(r.id, r);
    this.seq = Math.max(this.seq, r.seq);
  }
  update(r: TokenRecord) {
    this.records.set(r.id, r);
  }
  list(states?: readonly TokenState[], afterSeq = 0) {
    // Map iteration is insertion order, which is issue order.
    return [...this.records.values()].filter((r) => r.seq > afterSeq && (!states || states.includes(r.state)));
  }
  count(states: readonly TokenState[]) {
    let n = 0;
    for (const r of this.records.values()) if (states.includes(r.state)) n++;
    return n;
  }
  maxSeq() {
    return this.seq;
  }
  remove(ids: readonly string[]) {
    for (const id of ids) this.records.delete(id);
  }
  close() {
    this.records.clear();
  }
}

export function createMemoryTokenStore(opts: TokenStoreOptions = {}): TokenStore {
  return new TokenStore(new MemoryTokenTable(), opts);
}
