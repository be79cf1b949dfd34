/**
 * Nonces seen in authenticated frames, each remembered until its frame's timestamp is out of the
 * accepted window, so a captured frame cannot be replayed while its timestamp is still accepted.
 * Frames older than the server itself are refused outright: their nonces could have been seen by a
 * previous run.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly windowMs: number,
    readonly startedAt: number,
  ) {}

  /** True when the nonce is fresh (and now remembered); false for a replay. */
  remember(nonce: string, ts: number, now: number): boolean {
    if (now - this.lastSweep > 1_000) this.sweep(now);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, ts + this.windowMs + 1_000);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [nonce, until] of this.seen) if (until < now) this.seen.delete(nonce);
  }
}
