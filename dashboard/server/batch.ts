/**
 * Queries that arrive together run as one: a dashboard load asks for every panel's breakdown at once.
 * Each query costs the embedded engine about 5 ms whatever it does; and with a goal filter, each needs the
 * set of visitors who converted, which ClickHouse builds once for a query's identical IN subqueries, not
 * once per panel. Only parts with the same key (the same range, filters and goal, hence the same shared
 * parameters) are put together; their rows must have the same columns.
 */
import type { ClickHouseSettings } from '@clickhouse/client'
import type { Storage } from '../../sql/client.ts'

/** How long the first part waits for others: the requests of one load reach this point within a few ms. */
const WINDOW_MS = 5

export interface Part {
  /** A complete SELECT; its own parameters are named by `suffix` so that parts do not collide. */
  sql: string
  params: Record<string, unknown>
}

/** A query built from the parts of a key; its rows carry `part` (the index of theirs) and `position`, in order. */
export type Combine<P> = (parts: P[]) => Part

/** The parts' own SELECTs as one UNION ALL, each branch keeping its rows' order (its ORDER BY … LIMIT) in `position`. */
export const union: Combine<Part> = (parts) => {
  const query = parts.map((p, i) => `SELECT ${i} AS part, rowNumberInAllBlocks() AS position, * FROM (${p.sql})`).join('\nUNION ALL\n')
  return {
    sql: parts.length === 1 ? query : `SELECT * FROM (${query}) ORDER BY part, position`,
    params: Object.assign({}, ...parts.map((p) => p.params)),
  }
}

interface Waiting {
  part: unknown
  resolve: (rows: Record<string, string>[]) => void
  reject: (error: unknown) => void
}

export class Batches {
  private readonly open = new Map<string, Waiting[]>()

  constructor(
    private readonly storage: Storage,
    private readonly settings: ClickHouseSettings,
  ) {}

  /**
   * The rows of `build(suffix)`, run with the other parts of `key` asked within the window, in its own
   * order. `combine` makes their query (the same for every part of a key): their UNION ALL unless told,
   * or one query that reads what they share once (sealed breakdowns, stats.ts).
   */
  run(key: string, build: (suffix: string) => Part): Promise<Record<string, string>[]>
  run<P>(key: string, build: (suffix: string) => P, combine: Combine<P>): Promise<Record<string, string>[]>
  run(key: string, build: (suffix: string) => unknown, combine: Combine<unknown> = union as Combine<unknown>): Promise<Record<string, string>[]> {
    let waiting = this.open.get(key)
    if (!waiting) {
      const parts: Waiting[] = (waiting = [])
      this.open.set(key, parts)
      setTimeout(() => {
        this.open.delete(key)
        void this.flush(parts, combine)
      }, WINDOW_MS)
    }
    const part = build(`_${waiting.length}`)
    return new Promise((resolve, reject) => waiting.push({ part, resolve, reject }))
  }

  private async flush(waiting: Waiting[], combine: Combine<unknown>): Promise<void> {
    try {
      const { sql, params } = combine(waiting.map((w) => w.part))
      const result = await this.storage.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: this.settings,
      })
      const rows = await result.json<Record<string, string>>()
      const byPart = waiting.map(() => [] as Record<string, string>[])
      for (const { part, position: _position, ...row } of rows) byPart[Number(part)]!.push(row)
      waiting.forEach((w, i) => w.resolve(byPart[i]!))
    } catch (error) {
      for (const w of waiting) w.reject(error)
    }
  }
}

/** A computation that concurrent identical requests share: the first starts it, the others wait for it. */
export function sharedWhileRunning<T>(): (key: string, compute: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<T>>()
  return (key, compute) => {
    let pending = running.get(key)
    if (!pending) {
      pending = compute().finally(() => running.delete(key))
      running.set(key, pending)
    }
    return pending
  }
}
