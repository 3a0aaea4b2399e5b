/**
 * Session assignment: a visitor's events less than 30 minutes apart share a session. Active sessions
 * live in memory; on start they are reloaded from the last 30 minutes of cairn.events, so a restart
 * does not split a visit.
 */
import { randomUint64 } from './random-ids.ts'
import type { Storage } from '../../sql/client.ts'
import { DIMENSIONS } from '../../sql/dimensions.ts'
import { visitorKey } from '../../sql/privacy.ts'

export const SESSION_TIMEOUT_MS = 30 * 60 * 1000
/** About 320 MB of open visits (~320 bytes each, measured). */
const MAX_OPEN_SESSIONS = 1_000_000

type AttributionColumn = 'referrer' | Extract<(typeof DIMENSIONS)[number], { attribution: true }>['column']

/** Where a visit came from (its referrer and the attribution dimensions), fixed by its first event and stamped on every later one. */
export type Attribution = Record<AttributionColumn, string>

export const ATTRIBUTION_COLUMNS: AttributionColumn[] = ['referrer', ...DIMENSIONS.flatMap((d) => ('attribution' in d ? [d.column] : []))]

export interface Session {
  id: string
  startMs: number
  lastMs: number
  source: Attribution
}

export class Sessions {
  /** Insertion order = order of last activity, so expired sessions sit at the front. */
  private readonly active = new Map<string, Session>()

  constructor(
    private readonly timeoutMs = SESSION_TIMEOUT_MS,
    /** A flood of distinct visitors (a bot farm isbot does not know) cannot grow memory past this. */
    private readonly maxOpen = MAX_OPEN_SESSIONS,
  ) {}

  /** The visitor's session if it is still open at `nowMs`. */
  find(site: string, visitorId: string, nowMs: number): Session | undefined {
    const session = this.active.get(visitorKey(site, visitorId))
    return session && nowMs - session.lastMs < this.timeoutMs ? session : undefined
  }

  /** Continues the open session or starts a new one attributed to `source`, and records activity at `nowMs`. */
  touch(site: string, visitorId: string, nowMs: number, source: Attribution): Session {
    const key = visitorKey(site, visitorId)
    let session = this.find(site, visitorId, nowMs)
    if (!session) session = { id: randomUint64(), startMs: nowMs, lastMs: nowMs, source }
    session.lastMs = Math.max(session.lastMs, nowMs)
    this.active.delete(key)
    this.active.set(key, session)
    // The least recently active visit goes first: at worst a visit is split in two.
    if (this.active.size > this.maxOpen) this.active.delete(this.active.keys().next().value!)
    return session
  }

  /** Forgets sessions idle for longer than the timeout. */
  sweep(nowMs: number): void {
    for (const [key, session] of this.active) {
      if (nowMs - session.lastMs < this.timeoutMs) break
      this.active.delete(key)
    }
  }

  get size(): number {
    return this.active.size
  }

  async reload(storage: Storage, nowMs: number): Promise<number> {
    const result = await storage.query({
      query: `SELECT site, toString(visitor_id) AS visitor, toString(argMax(session_id, timestamp)) AS session,
                toUnixTimestamp64Milli(argMax(session_start, timestamp)) AS start_ms, toUnixTimestamp64Milli(max(timestamp)) AS last_ms,
                ${ATTRIBUTION_COLUMNS.map((c) => `toString(argMax(${c}, timestamp)) AS ${c}`).join(', ')}
              FROM cairn.events
              WHERE timestamp >= fromUnixTimestamp64Milli({since:Int64}) AND timestamp <= fromUnixTimestamp64Milli({now:Int64})
              GROUP BY site, visitor_id
              ORDER BY last_ms`,
      query_params: { since: nowMs - this.timeoutMs, now: nowMs },
      format: 'JSONEachRow',
    })
    const rows = await result.json<{ site: string; visitor: string; session: string; start_ms: string; last_ms: string } & Attribution>()
    for (const r of rows) {
      const source = Object.fromEntries(ATTRIBUTION_COLUMNS.map((c) => [c, r[c]])) as unknown as Attribution
      this.active.set(visitorKey(r.site, r.visitor), { id: r.session, startMs: Number(r.start_ms), lastMs: Number(r.last_ms), source })
    }
    return rows.length
  }
}
