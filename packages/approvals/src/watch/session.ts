/**
 * `approvals watch`: follows the endpoint's pending requests (long polls of `local.exec.pending`).
 *
 * Interactive (stdin and stdout are a TTY): shows each request, oldest first, and takes one key —
 * o allow once, a allow always (the canonical paths join that agent's allowlist), d deny, s skip
 * for now, q quit. A request answered elsewhere or expired while shown is dropped with a note.
 * Streaming (anything else): prints each new request once — a line, or a JSON object per line with
 * --json — and never answers; scripts answer with `approvals approve|deny ID`.
 */
import type { ChalkInstance } from 'chalk';
import type { ApprovalsClient } from '../client/client.js';
import type { PendingAnswer } from '../protocol/messages.js';
import type { TokenRecord } from '../tokens/machine.js';
import { tokenBlock, tokenLine } from './render.js';

const POLL_WAIT_MS = 20_000;

export interface WatchIo {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** Diagnostics (never the streamed records). */
  note: (line: string) => void;
  colors: ChalkInstance;
}

/** Follows pending tokens, calling `onUpdate` with the full pending list after every change, until `signal`. */
async function follow(client: ApprovalsClient, signal: AbortSignal, onUpdate: (tokens: TokenRecord[]) => void, note: (l: string) => void) {
  let version = 0;
  let epoch: string | undefined;
  let warned = false;
  while (!signal.aborted) {
    let answer: PendingAnswer;
    try {
      // The first call (no epoch yet) answers at once: tokens kept from a previous run must show now.
      answer = await client.pending({ afterVersion: version, waitMs: epoch ? POLL_WAIT_MS : 0, signal, ...(epoch ? { epoch } : {}) });
    } catch (e) {
      if (signal.aborted) return;
      if (!warned) note(`watch: ${(e as Error).message}; retrying…`);
      warned = true;
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    if (warned) note('watch: connected again');
    warned = false;
    version = answer.version;
    epoch = answer.epoch;
    onUpdate(answer.tokens);
  }
}

export async function streamPending(client: ApprovalsClient, io: WatchIo, json: boolean, signal: AbortSignal): Promise<void> {
  const shown = new Set<string>();
  await follow(
    client,
    signal,
    (tokens) => {
      for (const t of tokens) {
        if (shown.has(t.id)) continue;
        shown.add(t.id);
        io.output.write(json ? `${JSON.stringify(t)}\n` : `${tokenLine(t)}\n`);
      }
    },
    io.note,
  );
}

type Key = 'once' | 'always' | 'deny' | 'skip' | 'quit';
const KEYS: Record<string, Key> = { o: 'once', y: 'once', a: 'always', d: 'deny', n: 'deny', s: 'skip', q: 'quit', '\u0003': 'quit', '\u0004': 'quit' };

export async function watchInteractively(client: ApprovalsClient, io: WatchIo, signal: AbortSignal): Promise<void> {
  const c = io.colors;
  const out = (s: string) => io.output.write(`${s}\n`);
  let queue: TokenRecord[] = [];
  const skipped = new Set<string>();
  let current: TokenRecord | undefined;
  let wake: (() => void) | undefined;
  const keys: Key[] = [];
  let keyWaiter: ((k: Key | undefined) => void) | undefined;
  const quit = new AbortController();
  const stop = AbortSignal.any([signal, quit.signal]);

  const onData = (buf: Buffer) => {
    for (const ch of buf.toString('utf8')) {
      const k = KEYS[ch.toLowerCase()];
      if (!k) continue;
      if (keyWaiter) {
        const w = keyWaiter;
        keyWaiter = undefined;
        w(k);
      } else keys.push(k);
    }
  };
  io.input.setRawMode?.(true);
  io.input.on('data', onData);
  io.input.resume();
  const restore = () => {
    io.input.off('data', onData);
    io.input.setRawMode?.(false);
    io.input.pause();
  };

  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  const poller = follow(
    client,
    stop,
    (tokens) => {
      queue = tokens;
      markLoaded();
      if (current && !tokens.some((t) => t.id === current?.id)) {
        out(c.dim(`  → ${current.id} was answered elsewhere or expired`));
        current = undefined;
        keyWaiter?.(undefined);
        keyWaiter = undefined;
      }
      wake?.();
    },
    io.note,
  );

  stop.addEventListener(
    'abort',
    () => {
      keyWaiter?.('quit');
      keyWaiter = undefined;
      wake?.();
    },
    { once: true },
  );
  const nextKey = () =>
    new Promise<Key | undefined>((resolve) => {
      const k = keys.shift();
      if (k) return resolve(k);
      if (stop.aborted) return resolve('quit');
      keyWaiter = resolve;
    });

  let idleShown = false;
  try {
    // The first list arrives before anything is shown, so "waiting" means nothing is pending.
    await Promise.race([loaded, new Promise((r) => stop.addEventListener('abort', r, { once: true }))]);
    while (!stop.aborted) {
      const candidates = queue.filter((t) => !skipped.has(t.id));
      if (candidates.length === 0 && skipped.size > 0 && queue.length > 0) skipped.clear();
      current = queue.find((t) => !skipped.has(t.id));
      if (!current) {
        if (!idleShown) out(c.dim('waiting for requests… (q to quit)'));
        idleShown = true;
        const waitWake = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const k = await Promise.race([waitWake, nextKey()]);
        wake = undefined;
        if (k === 'quit') break;
        keyWaiter = undefined;
        continue;
      }
      idleShown = false;
      const token = current;
      out('');
      out(tokenBlock(token, c));
      out(`  ${c.bold('[o]')} allow once   ${c.bold('[a]')} allow always   ${c.bold('[d]')} deny   ${c.dim('[s] skip   [q] quit')}`);
      const k = await nextKey();
      if (k === undefined) continue; // answered elsewhere meanwhile
      if (k === 'quit') break;
      if (k === 'skip') {
        skipped.add(token.id);
        continue;
      }
      // Ours to answer now: the list update that follows is not "answered elsewhere".
      current = undefined;
      try {
        if (k === 'deny') {
          await client.deny(token.id, 'denied in approvals watch');
          out(c.red(`  ✘ denied ${token.id}`));
        } else {
          const r = await client.approve(token.id, { always: k === 'always' });
          out(c.green(`  ✔ allowed ${k === 'always' ? 'always' : 'once'}: ${token.id}`));
          if (r.allowlisted?.length) out(`    allowlisted for agent ${token.binding.agentId ?? '*'}: ${r.allowlisted.join(', ')}`);
          for (const w of r.warnings ?? []) out(c.yellow(`    warning: ${w}`));
        }
      } catch (e) {
        out(c.yellow(`  not done: ${(e as Error).message}`));
      }
      queue = queue.filter((t) => t.id !== token.id);
    }
  } finally {
    quit.abort();
    restore();
    await poller;
  }
}
