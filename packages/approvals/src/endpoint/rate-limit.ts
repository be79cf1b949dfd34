/** Token buckets: one for the whole endpoint and one per peer process, so one flood cannot starve others. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  idleSince(): number {
    return this.last;
  }
}

export class RateLimiter {
  private readonly global: TokenBucket;
  private readonly peers = new Map<number, TokenBucket>();
  private lastSweep: number;

  constructor(
    private readonly limits: { perSecond: number; burst: number; peerPerSecond: number; peerBurst: number },
    now: number,
  ) {
    this.global = new TokenBucket(limits.perSecond, limits.burst, now);
    this.lastSweep = now;
  }

  /** One request from process `pid`: false when the endpoint or that peer is over its rate. */
  allow(pid: number, now: number): boolean {
    if (now - this.lastSweep > 10_000) {
      this.lastSweep = now;
      for (const [p, b] of this.peers) if (now - b.idleSince() > 10_000) this.peers.delete(p);
    }
    let bucket = this.peers.get(pid);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.peerPerSecond, this.limits.peerBurst, now);
      this.peers.set(pid, bucket);
    }
    return bucket.take(now) && this.global.take(now);
  }
}
