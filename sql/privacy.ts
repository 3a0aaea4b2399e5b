/**
 * Rights requests on the stored data: access and portability (export), erasure, restriction. Erasure uses
 * mutations (ALTER … DELETE, waited for) rather than lightweight DELETE: a mutation rewrites the parts
 * without the rows, so the data leaves the disk, where a lightweight DELETE only hides rows until a merge.
 */
import { createHash } from 'node:crypto'
import type { Storage } from './client.ts'
import { dropRollups } from './rollups.ts'
import { alterTarget } from './cluster.ts'

/** Every table whose rows carry a visitor_id. */
export const VISITOR_TABLES = ['events', 'sessions_data'] as const

export interface VisitorKey {
  site: string
  visitorId: string
}

export interface Export {
  visitors: VisitorKey[]
  events: Record<string, unknown>[]
  sessions: Record<string, unknown>[]
  restrictions: Record<string, unknown>[]
}

const keyCondition =
  '(site, visitor_id) IN (SELECT tupleElement(k, 1), tupleElement(k, 2) FROM (SELECT arrayJoin(arrayZip({sites:Array(String)}, {ids:Array(UInt64)})) AS k))'

const asParam = (keys: VisitorKey[]) => ({ sites: keys.map((k) => k.site), ids: keys.map((k) => BigInt(k.visitorId)) })

async function rows(storage: Storage, query: string, keys: VisitorKey[]): Promise<Record<string, unknown>[]> {
  return (await storage.query({ query, query_params: asParam(keys), format: 'JSONEachRow' })).json()
}

/** Everything stored about these visitors, as JSON a person can read and another tool can import. */
export async function exportVisitor(storage: Storage, keys: VisitorKey[]): Promise<Export> {
  const [events, sessions, restrictions] = await Promise.all([
    rows(storage, `SELECT * EXCEPT (visitor_id), toString(visitor_id) AS visitor_id FROM cairn.events WHERE ${keyCondition} ORDER BY timestamp`, keys),
    rows(storage, `SELECT * EXCEPT (visitor_id), toString(visitor_id) AS visitor_id FROM cairn.sessions WHERE ${keyCondition} ORDER BY start`, keys),
    rows(storage, `SELECT site, toString(visitor_id) AS visitor_id, requested_at FROM cairn.restrictions FINAL WHERE ${keyCondition}`, keys),
  ])
  return { visitors: keys, events, sessions, restrictions }
}

/** Deletes every row of these visitors from every table that holds them, and waits until it is done. */
export async function eraseVisitor(storage: Storage, keys: VisitorKey[], requestedBy: string, cluster?: string): Promise<void> {
  for (const table of VISITOR_TABLES) {
    await storage.command({
      query: `ALTER TABLE ${alterTarget(table, cluster)} DELETE WHERE ${keyCondition}`,
      query_params: asParam(keys),
      clickhouse_settings: { mutations_sync: '2' },
    })
  }
  // The rollups hold hashes of the visitors' ids: the sites' go too, and are made again without them.
  await dropRollups(storage, [...new Set(keys.map((k) => k.site))], cluster)
  await record(storage, 'erase', keys, requestedBy)
}

/** From now on the collector drops these visitors' events; the request itself is kept. */
export async function restrictVisitor(storage: Storage, keys: VisitorKey[], requestedBy: string): Promise<void> {
  await storage.insert({
    table: 'cairn.restrictions',
    values: keys.map((k) => ({ site: k.site, visitor_id: k.visitorId, requested_by: requestedBy })),
    format: 'JSONEachRow',
  })
  await record(storage, 'restrict', keys, requestedBy)
}

export async function restrictedVisitors(storage: Storage): Promise<Set<string>> {
  const result = await storage.query({ query: 'SELECT site, toString(visitor_id) AS v FROM cairn.restrictions FINAL', format: 'JSONEachRow' })
  return new Set((await result.json<{ site: string; v: string }>()).map((r) => visitorKey(r.site, r.v)))
}

export async function record(storage: Storage, kind: string, keys: VisitorKey[], requestedBy: string, detail = ''): Promise<void> {
  await storage.insert({
    table: 'cairn.privacy_requests',
    values: keys.map((k) => ({ kind, site: k.site, subject: subjectOf(k), detail, requested_by: requestedBy })),
    format: 'JSONEachRow',
  })
}

/** The requests carried out for a site (and anonymisations, which touch every site), newest first. */
export async function requestLog(storage: Storage, site: string, limit = 200): Promise<{ at: string; kind: string; subject: string; detail: string; by: string }[]> {
  const result = await storage.query({
    query: `SELECT formatDateTime(at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS at, kind, subject, detail, requested_by AS by
            FROM cairn.privacy_requests WHERE site IN ({site:String}, '*') ORDER BY privacy_requests.at DESC LIMIT {limit:UInt32}`,
    query_params: { site, limit },
    format: 'JSONEachRow',
  })
  return result.json()
}

/**
 * Old data made anonymous: every visit gets its own id (visits still count, but nothing links two), and
 * the truncated address, versions and custom properties are cleared. visitor_id is part of the events'
 * sort key, so ClickHouse cannot UPDATE it: each month partition is rewritten into a copy and swapped in
 * with REPLACE PARTITION. Only whole past months are touched (`before` is at most the first day of the
 * current month), since a partition that still receives events cannot be swapped without losing some.
 */
export async function anonymizeBefore(storage: Storage, before: string, requestedBy: string, cluster?: string, nowMs = Date.now()): Promise<number> {
  if (cluster) throw new Error('anonymising is not supported on a cluster: it swaps rewritten partitions in, which Cairn does on one server only')
  const monthStart = new Date(nowMs).toISOString().slice(0, 8) + '01 00:00:00'
  if (before > monthStart) throw new Error(`anonymising stops at ${monthStart.slice(0, 10)} at the latest: the current month is still being written`)
  const params = { before }
  const partitions = await (
    await storage.query({ query: "SELECT DISTINCT toYYYYMM(timestamp) AS p FROM cairn.events WHERE timestamp < toDateTime64({before:String}, 3, 'UTC') ORDER BY p", query_params: params, format: 'JSONEachRow' })
  ).json<{ p: number }>()
  const copy = `cairn.events_anonymizing_${Date.now()}`
  await storage.command({ query: `CREATE TABLE ${copy} AS cairn.events` })
  try {
    for (const { p } of partitions) {
      const partition = Number(p) // YYYYMM read from ClickHouse: an integer, safe in DDL
      const old = "timestamp < toDateTime64({before:String}, 3, 'UTC')"
      await storage.command({
        query: `INSERT INTO ${copy} SELECT * REPLACE (
                  if(${old}, sipHash64(session_id), visitor_id) AS visitor_id, if(${old}, toIPv6('::'), ip_truncated) AS ip_truncated,
                  if(${old}, '', browser_version) AS browser_version, if(${old}, '', os_version) AS os_version,
                  if(${old}, map(), props) AS props)
                FROM cairn.events WHERE toYYYYMM(timestamp) = ${partition}`,
        query_params: params,
      })
      await storage.command({ query: `ALTER TABLE cairn.events REPLACE PARTITION ${partition} FROM ${copy}` })
      await storage.command({ query: `TRUNCATE TABLE ${copy}` })
    }
  } finally {
    await storage.command({ query: `DROP TABLE IF EXISTS ${copy}` })
  }
  await storage.command({
    query: `ALTER TABLE ${alterTarget('sessions_data', cluster)} UPDATE visitor_id = sipHash64(session_id) WHERE start < toDateTime64({before:String}, 3, 'UTC')`,
    query_params: params,
    clickhouse_settings: { mutations_sync: '2' },
  })
  await dropRollups(storage, undefined, cluster)
  await record(storage, 'anonymize', [{ site: '*', visitorId: '' }], requestedBy, `before ${before}`)
  return partitions.length
}

/** One visitor of one site, as a string: how visitors are keyed wherever one is looked up. */
export function visitorKey(site: string, visitorId: string): string {
  return `${site}\0${visitorId}`
}

/** How a visitor appears in the request log: never their id, a hash of it. */
export function subjectOf(key: VisitorKey): string {
  return createHash('sha256').update(visitorKey(key.site, key.visitorId)).digest('hex')
}
