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

/**
 * Builds one query for all the parts of a key, instead of their UNION ALL: for parts that read the same
 * rows once (`combine(parts)`, whose rows carry `part`, the index of theirs, and come in its order).
 */
export type Combine<P extends Part> = (parts: P[]) => Part

interface Waiting {
  part: Part
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
   * order; by `combine` when given (the same for every part of a key).
   */
  run<P extends Part>(key: string, build: (suffix: string) => P, combine?: Combine<P>): Promise<Record<string, string>[]> {
    let waiting = this.open.get(key)
    if (!waiting) {
      const parts: Waiting[] = (waiting = [])
      this.open.set(key, parts)
      setTimeout(() => {
        this.open.delete(key)
        void this.flush(parts, combine as Combine<Part> | undefined)
      }, WINDOW_MS)
    }
    const part = build(`_${waiting.length}`)
    return new Promise((resolve, reject) => waiting.push({ part, resolve, reject }))
  }

  private async flush(waiting: Waiting[], combine: Combine<Part> | undefined): Promise<void> {
    // Each branch keeps its rows' order (its ORDER BY … LIMIT) in `position`.
    const union = () => {
      const query = waiting
        .map((w, i) => `SELECT ${i} AS part, rowNumberInAllBlocks() AS position, * FROM (${w.part.sql})`)
        .join('\nUNION ALL\n')
      return waiting.length === 1 ? query : `SELECT * FROM (${query}) ORDER BY part, position`
    }
    try {
      const combined = combine?.(waiting.map((w) => w.part))
      const result = await this.storage.query({
        query: combined ? combined.sql : union(),
        query_params: combined ? combined.params : Object.assign({}, ...waiting.map((w) => w.part.params)),
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
