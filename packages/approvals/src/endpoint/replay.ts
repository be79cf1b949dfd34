/**
 * Nonces seen in authenticated frames, each remembered until its frame's timestamp is out of the
 * accepted window, so a captured frame cannot be replayed while its timestamp is still accepted.
 * Frames older than the server itself are refused outright: their nonces could have been seen by a
 * previous run.
 *
 * Forgetting is done by slot, not by walking every nonce: each nonce is filed under the SLOT_MS-wide
 * slot after the one its remembrance ends in, and a slot is dropped whole once the clock enters it.
 * A full walk of the cache (hundreds of thousands of nonces under load) stalled every request for
 * milliseconds once a second; dropping a slot costs what its own nonces cost. A nonce may be
 * remembered up to SLOT_MS longer than needed, never shorter.
 */
const SLOT_MS = 100;

export class ReplayCache {
  private readonly seen = new Set<string>();
  /** The nonces to forget, by the slot (time / SLOT_MS) from which they may be forgotten. */
  private readonly slots = new Map<number, string[]>();
  private sweptSlot = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowMs: number,
    readonly startedAt: number,
  ) {}

  /** True when the nonce is fresh (and now remembered); false for a replay. */
  remember(nonce: string, ts: number, now: number): boolean {
    const nowSlot = Math.floor(now / SLOT_MS);
    if (nowSlot !== this.sweptSlot) this.sweep(nowSlot);
    if (this.seen.has(nonce)) return false;
    this.seen.add(nonce);
    // Accepted while |now − ts| ≤ window: remembered past ts + window (plus a second of margin).
    const forgetSlot = Math.floor((ts + this.windowMs + 1_000) / SLOT_MS) + 1;
    const list = this.slots.get(forgetSlot);
    if (list) list.push(nonce);
    else this.slots.set(forgetSlot, [nonce]);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops the slots the clock has reached (a few hundred slots at most: one per SLOT_MS of window). */
  private sweep(nowSlot: number): void {
    this.sweptSlot = nowSlot;
    for (const [slot, nonces] of this.slots) {
      if (slot > nowSlot) continue;
      for (const n of nonces) this.seen.delete(n);
      this.slots.delete(slot);
    }
  }
}
