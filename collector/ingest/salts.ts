/**
 * Daily random salts for cookieless visitor ids (invariant 4). One 16-byte salt per UTC day, shared by
 * every collector through ClickHouse; today's and yesterday's are kept (a session may cross midnight),
 * anything older is deleted from ClickHouse and from memory.
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from '../../sql/client.ts'
import { alterTarget } from '../../sql/cluster.ts'

const DAY_MS = 86_400_000

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export interface DaySalts {
  today: Buffer
  yesterday: Buffer | undefined
}

export class Salts {
  private readonly byDay = new Map<string, Buffer>()
  private loadedFor = ''
  private loading: { day: string; done: Promise<void> } | undefined
  private cached: { day: number; salts: DaySalts } | undefined

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
    private readonly cluster?: string,
  ) {}

  /** Today's salt and, if it exists, yesterday's. Rotates first when the UTC day has changed. */
  async current(): Promise<DaySalts> {
    const now = this.now()
    if (this.cached && Math.floor(now / DAY_MS) === this.cached.day) return this.cached.salts
    const today = utcDay(now)
    if (this.loadedFor !== today && !this.byDay.has(today)) await this.rotate().catch(() => this.useOwnSalt(today))
    // Stored, but not kept: the engine's clock is two days past this collector's, and the salts' TTL (by the
    // engine's clock) dropped it. Events are still counted, on a salt of this collector's own.
    if (!this.byDay.has(today)) this.useOwnSalt(today)
    const salts = { today: this.byDay.get(today)!, yesterday: this.byDay.get(utcDay(now - DAY_MS)) }
    // Kept for the rest of the day once they are the shared ones (an own salt is looked up again each time).
    if (this.loadedFor === today) this.cached = { day: Math.floor(now / DAY_MS), salts }
    return salts
  }

  /** Creates today's salt if no collector has, adopts the shared one, deletes the expired ones. Safe to call often. */
  rotate(): Promise<void> {
    const day = utcDay(this.now())
    // Callers share a rotation for the same day. One still under way for the day before (the day changed
    // meanwhile) would not load today's salt: a new one follows it.
    if (this.loading?.day !== day) {
      const before = this.loading?.done.catch(() => {})
      const done: Promise<void> = (async () => {
        await before
        await this.load()
      })().finally(() => {
        if (this.loading?.done === done) this.loading = undefined
      })
      this.loading = { day, done }
    }
    return this.loading.done
  }

  /**
   * ClickHouse did not answer when the day changed: a new random salt of this collector's own, so events
   * keep being counted, and stored at the next rotation (every minute) unless another collector's is there.
   */
  private useOwnSalt(today: string): void {
    this.byDay.set(today, randomBytes(16))
    this.cached = undefined
    const yesterday = utcDay(this.now() - DAY_MS)
    for (const day of this.byDay.keys()) if (day < yesterday) this.byDay.delete(day)
  }

  private async load(): Promise<void> {
    const now = this.now()
    const today = utcDay(now)
    const yesterday = utcDay(now - DAY_MS)
    let salts = await this.read(yesterday)
    if (!salts.has(today)) {
      await this.storage.insert({
        table: 'cairn.salts',
        values: [{ day: today, salt: (this.byDay.get(today) ?? randomBytes(16)).toString('hex'), created_at: Math.floor(now / 1000) }],
        format: 'JSONEachRow',
      })
      salts = await this.read(yesterday)
    }
    await this.deleteBefore(yesterday)
    this.byDay.clear()
    this.cached = undefined
    for (const [day, hex] of salts) this.byDay.set(day, Buffer.from(hex, 'hex'))
    this.loadedFor = today
  }

  /** When two collectors created a salt for the same day at once, all of them settle on the smallest. */
  private async read(since: string): Promise<Map<string, string>> {
    const result = await this.storage.query({
      query: 'SELECT toString(day) AS d, min(salt) AS s FROM cairn.salts WHERE day >= {since:Date} GROUP BY day',
      query_params: { since },
      format: 'JSONEachRow',
    })
    const rows = await result.json<{ d: string; s: string }>()
    return new Map(rows.map((r) => [r.d, r.s]))
  }

  private async deleteBefore(day: string): Promise<void> {
    const old = await this.storage.query({
      query: 'SELECT DISTINCT toString(day) AS d FROM cairn.salts WHERE day < {day:Date}',
      query_params: { day },
      format: 'JSONEachRow',
    })
    for (const row of await old.json<{ d: string }>()) {
      // Dropping the day's partition removes its part from disk (old_parts_lifetime = 1 s on this table),
      // where a lightweight DELETE would only mask the row.
      await this.storage.command({ query: `ALTER TABLE ${alterTarget('salts', this.cluster)} DROP PARTITION {day:Date}`, query_params: { day: row.d } })
    }
  }
}
