/**
 * Signed checkpoints of the ledger head (SPEC §5): `{seq, hash}` of the head, signed with an Ed25519
 * key kept at `$OPENCLAW_HOME/keys/ledger-ed25519.pem` (0600, created on first use). A checkpoint
 * kept elsewhere (another machine, a ticket) later proves that the chain once reached `seq` with that
 * hash, so a removed tail or a rewritten history is detected.
 *
 * File format (JSON): {version: 1, kind, store, seq, hash, ts, key_id, public_key, signature} where
 * `signature` is Ed25519 over the canonical JSON of every other field, `public_key` the SPKI DER in
 * base64 and `key_id` the first 16 hex digits of its SHA-256. Verification uses the local key (or a
 * public key given explicitly), never the key the checkpoint carries.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OpenclawError } from '@openclaw/policy';
import { ensurePrivateDir } from '../state/paths.js';
import { canonicalJson, type LedgerHead } from './record.js';

export interface Checkpoint {
  version: 1;
  kind: 'openclaw-ledger-checkpoint';
  store: string;
  seq: number;
  hash: string;
  ts: string;
  key_id: string;
  public_key: string;
  signature: string;
}

function publicKeyId(pub: KeyObject): { der: string; id: string } {
  const der = pub.export({ type: 'spki', format: 'der' });
  return { der: der.toString('base64'), id: createHash('sha256').update(der).digest('hex').slice(0, 16) };
}

/**
 * Reads the signing key, creating it (0600, exclusively) when missing unless `create` is false;
 * refuses a key others can read.
 */
export function loadOrCreateLedgerKey(path: string, opts: { create?: boolean } = {}): KeyObject {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw keyError(path, `cannot read it (${(e as NodeJS.ErrnoException).code})`);
    if (opts.create === false)
      throw new OpenclawError({
        code: 'ledger_key_missing',
        reason: `there is no ledger key at ${path} to check the checkpoint with`,
        hint: "give the signer's public key: --public-key FILE",
        exitCode: 3,
      });
    ensurePrivateDir(dirname(path));
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      const w = openSync(path, 'wx', 0o600);
      writeSync(w, pem);
      closeSync(w);
      return privateKey;
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      fd = openSync(path, 'r');
    }
  }
  try {
    const st = fstatSync(fd);
    if ((st.mode & 0o077) !== 0) throw keyError(path, `it is readable or writable by others (${(st.mode & 0o777).toString(8)})`, `chmod 600 ${path}`);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (st.uid !== uid) throw keyError(path, `it is owned by uid ${st.uid}`, `chown $(id -u) ${path}`);
    const key = createPrivateKey(readFileSync(fd));
    if (key.asymmetricKeyType !== 'ed25519') throw keyError(path, `it is a ${key.asymmetricKeyType} key, not Ed25519`);
    return key;
  } catch (e) {
    if (e instanceof OpenclawError) throw e;
    throw keyError(path, `it is not a PEM private key (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

function keyError(path: string, why: string, hint = `move ${path} away; a new key is created on the next checkpoint`): OpenclawError {
  return new OpenclawError({ code: 'ledger_key_invalid', reason: `ledger signing key ${path}: ${why}`, hint });
}

export function signCheckpoint(head: LedgerHead, store: string, key: KeyObject, ts = new Date().toISOString()): Checkpoint {
  const { der, id } = publicKeyId(createPublicKey(key));
  const unsigned = { version: 1 as const, kind: 'openclaw-ledger-checkpoint' as const, store, seq: head.seq, hash: head.hash, ts, key_id: id, public_key: der };
  const signature = sign(null, Buffer.from(canonicalJson(unsigned)), key).toString('base64');
  return { ...unsigned, signature };
}

/** Parses and checks a checkpoint against a trusted public key; throws `checkpoint_invalid` when it fails. */
export function readCheckpoint(text: string, file: string, trusted: KeyObject): Checkpoint {
  const bad = (why: string, hint?: string) =>
    new OpenclawError({ code: 'checkpoint_invalid', reason: `checkpoint ${file}: ${why}`, ...(hint ? { hint } : {}), exitCode: 3 });
  let cp: Checkpoint;
  try {
    cp = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (
    typeof cp !== 'object' ||
    cp === null ||
    cp.version !== 1 ||
    cp.kind !== 'openclaw-ledger-checkpoint' ||
    !Number.isSafeInteger(cp.seq) ||
    cp.seq < 1 ||
    typeof cp.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(cp.hash) ||
    typeof cp.signature !== 'string'
  )
    throw bad('not a ledger checkpoint (version 1)');
  const pub = trusted.type === 'private' ? createPublicKey(trusted) : trusted;
  const { id } = publicKeyId(pub);
  if (cp.key_id !== id) throw bad(`signed by key ${cp.key_id}, not by the trusted key ${id}`, 'verify with the public key that signed it: --public-key FILE');
  const { signature, ...unsigned } = cp;
  if (!verify(null, Buffer.from(canonicalJson(unsigned)), pub, Buffer.from(signature, 'base64')))
    throw bad('the signature does not verify (the checkpoint was altered)');
  return cp;
}

export function readPublicKey(file: string): KeyObject {
  try {
    const text = readFileSync(file);
    try {
      return createPublicKey(text);
    } catch {
      return createPublicKey(createPrivateKey(text));
    }
  } catch (e) {
    throw new OpenclawError({ code: 'public_key_invalid', reason: `cannot read a public key from ${file}: ${(e as Error).message}`, exitCode: 2 });
  }
}
