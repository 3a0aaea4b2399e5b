/**
 * A brake on password guessing, shared by the login route and the SQL door. Failed attempts are counted
 * over a sliding window per (account, address), per account and per address (truncated, as everywhere in
 * Cairn). Past a limit, every attempt is refused with 429 before any password is checked, right or wrong,
 * so a refusal tells nothing; it lasts until the oldest failure counted leaves the window.
 *
 * The pair limit stops one client at once; the account limit stops guessing spread over many addresses
 * (and is set high, so that locking someone out takes that many attempts); the address limit stops one
 * client trying many accounts. Counts are per process: with several Cairn servers, each counts its own.
 */
export const WINDOW_MS = 15 * 60_000
export const LIMITS = { pair: 10, account: 100, address: 100 } as const

export class LoginAttempts {
  /** Times of failures in the window, oldest first, by key. */
  private readonly failures = new Map<string, number[]>()

  constructor(private readonly now: () => number = Date.now) {}

  private keys(account: string, address: string): [string, number][] {
    const a = account.trim().toLowerCase()
    return [[`p\0${a}\0${address}`, LIMITS.pair], [`a\0${a}`, LIMITS.account], [`i\0${address}`, LIMITS.address]]
  }

  private recent(key: string): number[] {
    const since = this.now() - WINDOW_MS
    const times = (this.failures.get(key) ?? []).filter((t) => t > since)
    if (times.length === 0) this.failures.delete(key)
    else this.failures.set(key, times)
    return times
  }

  /** Seconds until an attempt is allowed again, or 0 when it is allowed now. */
  retryAfter(account: string, address: string): number {
    let wait = 0
    for (const [key, limit] of this.keys(account, address)) {
      const times = this.recent(key)
      if (times.length >= limit) wait = Math.max(wait, Math.ceil((times[times.length - limit]! + WINDOW_MS - this.now()) / 1000))
    }
    return wait
  }

  failed(account: string, address: string): void {
    // Many distinct made-up keys would otherwise grow the map without bound: drop what has aged out.
    if (this.failures.size > 100_000) for (const key of [...this.failures.keys()]) this.recent(key)
    for (const [key] of this.keys(account, address)) this.failures.set(key, [...this.recent(key), this.now()])
  }
}
