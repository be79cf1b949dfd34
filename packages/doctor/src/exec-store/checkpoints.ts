/**
 * The newest signed checkpoint of this store, as `openclaw exec ledger checkpoint` leaves them:
 * `$OPENCLAW_HOME/checkpoints/ledger-<seq>.json`, each naming its store (`sqlite:<path>` or
 * `postgres`). Highest seq first; checkpoints of another store, or signed by a key that is not the
 * local ledger key (an older key that was replaced), are passed over and listed. The signature is
 * checked against the local key only (never the key a checkpoint carries), as `exec ledger verify
 * --checkpoint` does. Checkpoints written elsewhere with `--out` are not found here.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Checkpoint, loadOrCreateLedgerKey, readCheckpoint } from '@openclaw/exec';
import { OpenclawError } from '@openclaw/policy';

const FILE = /^ledger-(\d+)\.json$/;
/** Enough for years of daily checkpoints; a directory past it is read newest first up to here. */
const MAX_FILES = 1000;

export type CheckpointLookup =
  | { state: 'none'; passedOver: string[] }
  | { state: 'trusted'; file: string; checkpoint: Checkpoint; passedOver: string[] }
  /** A checkpoint for this store exists, but the local key that would check it is missing or unusable. */
  | { state: 'unverifiable'; file: string; seq: number | null; reason: string; hint: string; passedOver: string[] }
  /** A checkpoint file that does not verify: altered, or not a checkpoint at all. */
  | { state: 'invalid'; file: string; reason: string; passedOver: string[] };

export function findNewestCheckpoint(dir: string, keyPath: string, storeLabel: string): CheckpointLookup {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { state: 'none', passedOver: [] };
  }
  const files = names
    .map((n) => ({ name: n, seq: Number(FILE.exec(n)?.[1]) }))
    .filter((f) => Number.isSafeInteger(f.seq))
    .sort((a, b) => b.seq - a.seq)
    .slice(0, MAX_FILES);
  const passedOver: string[] = [];
  let trusted: { key: KeyObject; id: string } | undefined;
  for (const { name } of files) {
    const file = join(dir, name);
    let text: string;
    let claimed: Partial<Checkpoint>;
    try {
      text = readFileSync(file, 'utf8');
      claimed = JSON.parse(text);
    } catch (e) {
      return { state: 'invalid', file, reason: `checkpoint ${file}: ${e instanceof SyntaxError ? 'not JSON' : (e as Error).message}`, passedOver };
    }
    if (claimed?.store !== storeLabel) {
      passedOver.push(`${name}: for ${typeof claimed?.store === 'string' ? claimed.store : 'no named store'}`);
      continue;
    }
    if (!trusted) {
      try {
        const key = loadOrCreateLedgerKey(keyPath, { create: false });
        trusted = { key, id: keyId(key) };
      } catch (e) {
        const err = e instanceof OpenclawError ? e : undefined;
        const byPublicKey = `check it with the signer's public key: \`openclaw exec ledger verify --checkpoint ${file} --public-key FILE\``;
        return {
          state: 'unverifiable',
          file,
          seq: typeof claimed.seq === 'number' ? claimed.seq : null,
          reason: err?.reason ?? (e as Error).message,
          // A key that exists but is refused (open to others, foreign owner) has its own fix.
          hint: err?.code === 'ledger_key_invalid' && err.hint ? `${err.hint}, or ${byPublicKey}` : `restore the ledger key, or ${byPublicKey}`,
          passedOver,
        };
      }
    }
    if (claimed.key_id !== trusted.id) {
      passedOver.push(`${name}: signed by key ${String(claimed.key_id)}, not the local key ${trusted.id}`);
      continue;
    }
    try {
      return { state: 'trusted', file, checkpoint: readCheckpoint(text, file, trusted.key), passedOver };
    } catch (e) {
      return { state: 'invalid', file, reason: e instanceof OpenclawError ? e.reason : (e as Error).message, passedOver };
    }
  }
  return { state: 'none', passedOver };
}

/** The exec plane's key id: the first 16 hex digits of the SHA-256 of the public key's SPKI DER. */
function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}
