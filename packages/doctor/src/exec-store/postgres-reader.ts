/**
 * A Postgres store, read-only and bounded: one connection (no pool) that must be ready before the
 * deadline, one REPEATABLE READ READ ONLY transaction (every page from the same snapshot; the server
 * refuses any write), and a statement timeout. A server that does not answer costs at most the time
 * left to the deadline; the socket is destroyed, so nothing keeps the process alive afterwards.
 */
import type { StoredRecord } from '@openclaw/exec';
import type { Client, QueryConfig } from 'pg';
import { type LedgerReader, type OpenOutcome, redactUrl } from './reader.js';

type PgError = Error & { code?: string };

export async function openPostgresReader(url: string, bound: { deadline: number; ms: number }): Promise<OpenOutcome> {
  const started = performance.now();
  const location = redactUrl(url);
  const budget = Math.max(1, Math.floor(bound.deadline - started));
  const pg = await import('pg');
  const PgClient = (pg.default ?? pg).Client;
  let client: Client;
  try {
    client = new PgClient({ connectionString: url, connectionTimeoutMillis: budget, query_timeout: budget, application_name: 'openclaw-doctor' });
  } catch (e) {
    return unreachable(
      location,
      `${location} is not a usable Postgres URL: ${(e as Error).message}`,
      'set exec.store to postgres://user:password@host:port/db',
      started,
    );
  }
  // Errors after connecting reach the pending query; an idle error must not crash the doctor.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${budget}`);
    const r = await client.query<{ initialised: boolean }>(`SELECT to_regclass('ledger') IS NOT NULL AS initialised`);
    return {
      state: 'open',
      reader: new PostgresReader(client, location, r.rows[0]?.initialised === true, bound.deadline),
      ms: Math.round(performance.now() - started),
    };
  } catch (e) {
    await endWithin(client, 100);
    const err = e as PgError;
    const timedOut = /timeout/i.test(err.message) || err.code === '57014';
    const { reason, hint } = explain(err, location, bound.ms, timedOut);
    return { state: 'unreachable', location, reason, hint, timedOut, ms: Math.round(performance.now() - started) };
  }
}

function unreachable(location: string, reason: string, hint: string, started: number): OpenOutcome {
  return { state: 'unreachable', location, reason, hint, timedOut: false, ms: Math.round(performance.now() - started) };
}

/** Ends the session; a server that does not see it off within `ms` has its socket destroyed. */
async function endWithin(client: Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        resolve();
      }, ms);
    }),
  ]);
  clearTimeout(timer);
}

function explain(err: PgError, location: string, boundMs: number, timedOut: boolean): { reason: string; hint: string } {
  const fixUrl = 'or point exec.store in openclaw.yaml at the right server';
  if (timedOut)
    return {
      reason: `${location}: no answer within ${boundMs} ms (the doctor's bound; the exec plane waits 5 s)`,
      hint: `check that the server is up and reachable from here (pg_isready -d '${location}'), ${fixUrl}`,
    };
  switch (err.code) {
    case 'ECONNREFUSED':
      return {
        reason: `${location}: connection refused (${err.message.replace(/^connect /, '')}): no Postgres server listens there`,
        hint: `start the Postgres server, ${fixUrl}`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { reason: `${location}: the host name does not resolve (${err.code})`, hint: `check the host in exec.store, ${fixUrl}` };
    case '28P01':
    case '28000':
      return {
        reason: `${location}: the server refused the login: ${err.message}`,
        hint: 'fix the user or password in exec.store (or ~/.pgpass, pg_hba.conf)',
      };
    case '3D000':
      return { reason: `${location}: ${err.message}`, hint: 'create the database (createdb NAME), or point exec.store at an existing one' };
  }
  return { reason: `${location}: ${err.message}${err.code ? ` (${err.code})` : ''}`, hint: `check the server's log, ${fixUrl}` };
}

class PostgresReader implements LedgerReader {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly client: Client,
    readonly location: string,
    readonly initialised: boolean,
    private readonly deadline: number,
  ) {}

  /** A query that gives up at the deadline (a few ms of grace, so a query started at the deadline can finish). */
  private query<R extends object>(text: string, values: unknown[] = []) {
    // pg takes a per-query `query_timeout` that its typings do not declare.
    const config: QueryConfig & { query_timeout: number } = { text, values, query_timeout: Math.max(50, Math.floor(this.deadline - performance.now())) };
    return this.client.query<R>(config);
  }

  async head(): Promise<number | null> {
    if (!this.initialised) return null;
    const r = await this.query<{ head: string | null }>('SELECT max(seq) AS head FROM ledger');
    const head = r.rows[0]?.head;
    return head === null || head === undefined ? null : Number(head);
  }

  async page(afterSeq: number, limit: number): Promise<StoredRecord[]> {
    if (!this.initialised) return [];
    const r = await this.query<{ seq: string; body: string; hash: string }>('SELECT seq, body, hash FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2', [
      afterSeq,
      limit,
    ]);
    return r.rows.map((x) => ({ seq: Number(x.seq), body: x.body, hash: x.hash }));
  }

  async close(): Promise<void> {
    await endWithin(this.client, 100);
  }
}
