/** The embedded store's tables (the Postgres store has the same ones, see postgres-sql.ts). */
export const SCHEMA_VERSION = '1';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  qseq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  params TEXT NOT NULL,
  repo TEXT,
  ref TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  timeout_sec INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  lease_id TEXT,
  lease_owner TEXT,
  lease_host TEXT,
  lease_expires_ms INTEGER,
  result TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (qseq) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_leases ON jobs (lease_expires_ms) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  job_id TEXT,
  body TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_job ON ledger (job_id) WHERE job_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS control (key TEXT PRIMARY KEY, value TEXT NOT NULL, by TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  state TEXT NOT NULL,
  running INTEGER NOT NULL,
  concurrency INTEGER NOT NULL
);
`;
