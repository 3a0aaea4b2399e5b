/**
 * How long event data is kept: a TTL on every table that holds it, set from CAIRN_RETENTION_MONTHS at
 * each start. ClickHouse deletes expired rows in its merges; an unchanged setting changes nothing.
 */
import type { Storage } from './client.ts'
import { alterTarget, storedIn } from './cluster.ts'

/** Each table holding event data, and the column its age is measured by. */
export const RETAINED = { events: 'timestamp', sessions_data: 'start', event_counts: 'at', imported_aggregates: 'date' } as const

export async function applyRetention(storage: Storage, months: number, log: (line: string) => void = () => {}, cluster?: string): Promise<void> {
  for (const [table, column] of Object.entries(RETAINED)) {
    const [row] = await (
      await storage.query({
        query: 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {table:String}',
        query_params: { db: 'cairn', table: storedIn(table, cluster) },
        format: 'JSONEachRow',
      })
    ).json<{ engine_full: string }>()
    const current = /TTL .*?toIntervalMonth\((\d+)\)/.exec(row?.engine_full ?? '')?.[1]
    if (Number(current) === months) continue
    log(`retention of cairn.${table}: ${current ?? 'none'} → ${months} months`)
    // The months are an integer from the validated configuration; DDL takes no query parameters here.
    // ClickHouse then recomputes the TTL of the existing parts in the background (a mutation), so rows
    // already older than a shortened period go too, not only the ones written from now on.
    await storage.command({ query: `ALTER TABLE ${alterTarget(table, cluster)} MODIFY TTL toDateTime(${column}) + toIntervalMonth(${Math.trunc(months)})` })
  }
}
