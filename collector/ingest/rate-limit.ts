/**
 * A token bucket per (truncated address, site): `ratePerSecond` sustained, `burst` at once. A crawler or
 * a loop in someone's page cannot flood a site's numbers; real visitors behind one /24 stay far below.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  /** 0 when allowed; otherwise the seconds to wait before the next request would be. */
  take(key: string): number {
    const now = this.now()
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond)
    bucket.at = now
    this.buckets.delete(key)
    this.buckets.set(key, bucket) // most recently used last, so the oldest are dropped first
    if (this.buckets.size > 100_000) this.buckets.delete(this.buckets.keys().next().value!)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.ceil((1 - bucket.tokens) / this.ratePerSecond)
  }
}
