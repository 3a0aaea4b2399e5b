/**
 * Import jobs (0024_imports.sql): what a history brought from another tool goes through, whatever its
 * format (the formats are collector/import/'s). A job's files are read into a table of its own,
 * cairn.import_<id>, which nothing else reads; once they all are, it is checked (its days, another import's
 * or the site's own events on them) and copied into cairn.events or cairn.imported_aggregates in one step,
 * each row carrying the job's id. A job that fails, or that a stopped server left in the middle, is rolled
 * back: its table dropped, any row already copied deleted. A job that is done can be deleted as a whole.
 */
import { randomInt } from 'node:crypto'
import type { Storage } from './client.ts'
import { alterTarget } from './cluster.ts'
import { dropRollups } from './rollups.ts'

/** Where the rows of a kind go: events (GA4, Umami, a Cairn export) or daily aggregates (Plausible). */
export const IMPORT_KINDS = { ga4: 'events', umami: 'events', cairn: 'events', plausible: 'aggregates' } as const
export type ImportKind = keyof typeof IMPORT_KINDS

export type ImportState = 'staging' | 'publishing' | 'done' | 'failed' | 'deleted'

export interface ImportJob {
  site: string
  id: number
  kind: ImportKind
  state: ImportState
  files: string[]
  records: number
  written: number
  skipped: number
  first_day: string | null
  last_day: string | null
  error: string
  created_by: string
  created_at: string
}

/** The table a job's files are read into. The id is an integer Cairn chose: safe in DDL. */
export const stagingTable = (id: number): string => `cairn.import_${Math.trunc(id)}`

const TARGET = { events: 'cairn.events', aggregates: 'cairn.imported_aggregates' } as const
const targetOf = (job: Pick<ImportJob, 'kind'>) => TARGET[IMPORT_KINDS[job.kind]]

const COLUMNS = `site, import_id AS id, kind, state, files, records, written, skipped, toString(first_day) AS first_day, toString(last_day) AS last_day,
  error, created_by, formatDateTime(created_at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS created_at`

function parse(row: Record<string, unknown>): ImportJob {
  const number = (k: string) => Number(row[k] ?? 0)
  return { ...(row as unknown as ImportJob), id: number('id'), records: number('records'), written: number('written'), skipped: number('skipped') }
}

export async function listImports(storage: Storage, site: string): Promise<ImportJob[]> {
  const result = await storage.query({
    query: `SELECT ${COLUMNS} FROM cairn.imports FINAL WHERE site = {site:String} AND state != 'deleted' ORDER BY created_at DESC, import_id`,
    query_params: { site },
    format: 'JSONEachRow',
  })
  return (await result.json<Record<string, unknown>>()).map(parse)
}

export async function getImport(storage: Storage, site: string, id: number): Promise<ImportJob | undefined> {
  const result = await storage.query({
    query: `SELECT ${COLUMNS} FROM cairn.imports FINAL WHERE site = {site:String} AND import_id = {id:UInt32} AND state != 'deleted'`,
    query_params: { site, id },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<Record<string, unknown>>()
  return row && parse(row)
}

/** A job's new state: a row whose version is the time, so the newest wins. */
async function save(storage: Storage, job: ImportJob): Promise<ImportJob> {
  await storage.insert({
    table: 'cairn.imports',
    values: [{
      site: job.site, import_id: job.id, kind: job.kind, state: job.state, files: job.files, records: job.records, written: job.written,
      skipped: job.skipped, first_day: job.first_day, last_day: job.last_day, error: job.error, created_by: job.created_by,
      created_at: job.created_at.replace('T', ' ').replace('Z', ''), version: nextVersion(),
    }],
    format: 'JSONEachRow',
  })
  return job
}

// Two saves in the same millisecond must still be ordered.
let lastVersion = 0
const nextVersion = () => (lastVersion = Math.max(lastVersion + 1, Date.now() * 1000))

/** A new job and its empty table, shaped as the rows it will add. */
export async function createImport(storage: Storage, site: string, kind: ImportKind, by: string): Promise<ImportJob> {
  let id = 0
  // 32 random bits: an id no other job of any site has had.
  do id = randomInt(1, 2 ** 32 - 1)
  while (await taken(storage, id))
  const target = targetOf({ kind })
  // No TTL: the rows are read once, whole, and copied on. Events by visit and time: publishing reads a
  // visit at a time (collector/import/visits.ts).
  const order = IMPORT_KINDS[kind] === 'events' ? '(session_id, timestamp)' : 'tuple()'
  await storage.command({ query: `CREATE TABLE ${stagingTable(id)} AS ${target} ENGINE = MergeTree ORDER BY ${order}` })
  const now = new Date().toISOString().slice(0, 23) + 'Z'
  return save(storage, { site, id, kind, state: 'staging', files: [], records: 0, written: 0, skipped: 0, first_day: null, last_day: null, error: '', created_by: by, created_at: now })
}

async function taken(storage: Storage, id: number): Promise<boolean> {
  const result = await storage.query({ query: 'SELECT count() AS n FROM cairn.imports WHERE import_id = {id:UInt32}', query_params: { id }, format: 'JSONEachRow' })
  const [row] = await result.json<{ n: string }>()
  return Number(row?.n) > 0
}

/** A file read into the job's table: its name, the records it held, and the days the job's rows now cover. */
export async function fileStaged(storage: Storage, job: ImportJob, file: string, records: number, timeZone: string): Promise<ImportJob> {
  const day = IMPORT_KINDS[job.kind] === 'aggregates' ? 'date' : 'toDate(timestamp, {tz:String})'
  const kept = IMPORT_KINDS[job.kind] === 'aggregates' ? '1' : "name != ''"
  const [span] = await (await storage.query({
    query: `SELECT toString(min(${day})) AS first, toString(max(${day})) AS last FROM ${stagingTable(job.id)} WHERE ${kept} HAVING count() > 0`,
    query_params: { tz: timeZone },
    format: 'JSONEachRow',
  })).json<{ first: string; last: string }>()
  return save(storage, { ...job, files: [...job.files, file], records: job.records + records, first_day: span?.first ?? null, last_day: span?.last ?? null })
}

/** Why a job cannot be published: what the caller shows, with the days at fault. */
export class ImportRefused extends Error {
  constructor(
    readonly reason: 'empty' | 'overlap',
    readonly details: Record<string, string | number> = {},
  ) {
    super(reason === 'empty' ? 'the import holds no rows to add' : `the import's days ${details.first} to ${details.last} already hold data of this site`)
  }
}

export interface PublishOptions {
  /** The site's zone: the days the import covers, and those it must not share. */
  timeZone: string
  /** Months the site's data is kept: older rows are left out (the TTL would delete them at once). */
  retentionMonths: number
  /** Only the days before this one (YYYY-MM-DD, the site's): how an import that meets the site's own data is cut short. */
  before?: string | undefined
  /** The SELECT that publishes the staged rows (given them as a subquery), in the target's columns; default: as they are. */
  select?: ((from: string, staging: string) => string) | undefined
  cluster?: string | undefined
  nowMs?: number
}

/**
 * The job's rows added to the site's data, if their days hold no other data of the site (its own events,
 * another import's rows): an import is never mixed silently with other data. Throws ImportRefused with
 * the days at fault (the caller may then ask for the days `before` the site's own).
 */
export async function publishImport(storage: Storage, job: ImportJob, options: PublishOptions): Promise<ImportJob> {
  const aggregates = IMPORT_KINDS[job.kind] === 'aggregates'
  const day = aggregates ? 'date' : 'toDate(timestamp, {tz:String})'
  const oldest = new Date(options.nowMs ?? Date.now())
  oldest.setUTCMonth(oldest.getUTCMonth() - options.retentionMonths)
  // Kept: the site's rows within the retention and before `before`.
  // Events named '' are those a format reads and leaves out (collector/import/): counted as skipped.
  const kept = `site = {site:String} AND ${day} > toDate({oldest:String}) ${options.before ? `AND ${day} < toDate({before:String})` : ''} ${aggregates ? '' : "AND name != ''"}`
  const params = { site: job.site, tz: options.timeZone, oldest: oldest.toISOString().slice(0, 10), before: options.before ?? '', id: job.id }
  const [span] = await (await storage.query({
    query: `SELECT count() AS n, toString(min(${day})) AS first, toString(max(${day})) AS last, (SELECT count() FROM ${stagingTable(job.id)}) AS staged
            FROM ${stagingTable(job.id)} WHERE ${kept}`,
    query_params: params,
    format: 'JSONEachRow',
  })).json<{ n: string; first: string; last: string; staged: string }>()
  const n = Number(span?.n ?? 0)
  if (n === 0) throw new ImportRefused('empty')
  const range = { ...params, first: span!.first, last: span!.last }
  // Its days against the site's events and imported days, and against other imports' spans: an import
  // inside another's (a gap of missing days) would share its visits' times, by which a deletion finds them.
  const [clash] = await (await storage.query({
    query: `SELECT toString(min(d)) AS first, toString(max(d)) AS last FROM (
              SELECT toDate(timestamp, {tz:String}) AS d FROM cairn.events
              WHERE site = {site:String} AND timestamp >= toDateTime64({first:String}, 3, {tz:String}) AND timestamp < toDateTime64(toDate({last:String}) + 1, 3, {tz:String})
              UNION ALL
              SELECT date FROM cairn.imported_aggregates WHERE site = {site:String} AND date BETWEEN toDate({first:String}) AND toDate({last:String})
              UNION ALL
              SELECT arrayJoin([greatest(assumeNotNull(first_day), toDate({first:String})), least(assumeNotNull(last_day), toDate({last:String}))])
              FROM cairn.imports FINAL
              WHERE site = {site:String} AND import_id != {id:UInt32} AND state IN ('publishing', 'done')
                AND first_day <= toDate({last:String}) AND last_day >= toDate({first:String}))
            HAVING count() > 0`,
    query_params: range,
    format: 'JSONEachRow',
  })).json<{ first: string; last: string }>()
  if (clash) {
    const [own] = await (await storage.query({
      query: `SELECT toString(min(toDate(timestamp, {tz:String}))) AS since FROM cairn.events WHERE site = {site:String} AND import_id = 0 HAVING count() > 0`,
      query_params: range,
      format: 'JSONEachRow',
    })).json<{ since: string }>()
    throw new ImportRefused('overlap', { first: clash.first, last: clash.last, ...(own && { own_data_since: own.since }) })
  }
  let current = await save(storage, { ...job, state: 'publishing', first_day: span!.first, last_day: span!.last, skipped: job.skipped + Number(span!.staged) - n })
  const rows = `(SELECT * REPLACE ({id:UInt32} AS import_id) FROM ${stagingTable(job.id)} WHERE ${kept})`
  await storage.command({
    query: `INSERT INTO ${targetOf(job)} ${options.select ? options.select(rows, stagingTable(job.id)) : `SELECT * FROM ${rows}`}`,
    query_params: params,
    // Parts of 100,000 rows rather than a million: the copy then takes the same memory whatever the
    // import's length (3 M GA4 events: 1.4 → 0.99 GiB for the process).
    clickhouse_settings: { min_insert_block_size_rows: '100000', min_insert_block_size_bytes: String(64 << 20), max_insert_block_size: '100000', max_memory_usage: String(2 * 2 ** 30) },
  })
  // A seal of these days counted them without the import; erasure's way out: the site's seals go.
  if (!aggregates) await dropRollups(storage, [job.site], options.cluster)
  await storage.command({ query: `DROP TABLE IF EXISTS ${stagingTable(job.id)}` })
  current = await save(storage, { ...current, state: 'done', written: n })
  return current
}

/**
 * Every row of the job gone: its table, its events and their visits, its aggregates. `state` is what the
 * job then says: `failed` for one rolled back (with why), `deleted` for one deleted as a whole.
 */
export async function removeImport(storage: Storage, job: ImportJob, state: 'failed' | 'deleted', error = '', cluster?: string): Promise<ImportJob> {
  await storage.command({ query: `DROP TABLE IF EXISTS ${stagingTable(job.id)}` })
  if (job.state === 'publishing' || job.state === 'done') {
    const params = { site: job.site, id: job.id }
    const sync = { mutations_sync: '2' } as const
    if (IMPORT_KINDS[job.kind] === 'aggregates') {
      await storage.command({ query: `ALTER TABLE ${alterTarget('imported_aggregates', cluster)} DELETE WHERE site = {site:String} AND import_id = {id:UInt32}`, query_params: params, clickhouse_settings: sync })
    } else {
      // The import's visits started between its first visit's start and its last's, and no one else's did
      // (publishImport refuses days holding other data): its rows of cairn.sessions_data are those, found
      // without reading another table, as a mutation on a cluster must. Then its events, and the counts
      // seals are checked against.
      const [span] = await (await storage.query({
        query: `SELECT toString(min(session_start)) AS first_start, toString(max(session_start)) AS last_start,
                       toString(toStartOfFifteenMinutes(min(timestamp))) AS first, toString(max(timestamp)) AS last
                FROM cairn.events WHERE site = {site:String} AND import_id = {id:UInt32} HAVING count() > 0`,
        query_params: params,
        format: 'JSONEachRow',
      })).json<{ first_start: string; last_start: string; first: string; last: string }>()
      // No rows (it failed before copying any): nothing to delete, and no mutation to run over the table.
      if (span) {
        await storage.command({
          query: `ALTER TABLE ${alterTarget('sessions_data', cluster)} DELETE WHERE site = {site:String}
                  AND start >= toDateTime64({first_start:String}, 3, 'UTC') AND start <= toDateTime64({last_start:String}, 3, 'UTC')`,
          query_params: { ...params, ...span },
          clickhouse_settings: sync,
        })
        await storage.command({ query: `ALTER TABLE ${alterTarget('events', cluster)} DELETE WHERE site = {site:String} AND import_id = {id:UInt32}`, query_params: params, clickhouse_settings: sync })
        // Its quarter hours held its events alone: their counts are made again from what is left.
        const between = "site = {site:String} AND at >= toDateTime({first:String}, 'UTC') AND at <= toDateTime({last:String}, 'UTC')"
        await storage.command({ query: `ALTER TABLE ${alterTarget('event_counts', cluster)} DELETE WHERE ${between}`, query_params: { ...params, ...span }, clickhouse_settings: sync })
        await storage.command({
          query: `INSERT INTO cairn.event_counts SELECT site, toStartOfFifteenMinutes(timestamp) AS at, count() FROM cairn.events
                  WHERE site = {site:String} AND timestamp >= toDateTime64({first:String}, 3, 'UTC') AND timestamp <= toDateTime64({last:String}, 3, 'UTC') GROUP BY site, at`,
          query_params: { ...params, ...span },
        })
      }
      await dropRollups(storage, [job.site], cluster)
    }
  }
  return save(storage, { ...job, state, error: error || job.error })
}

/**
 * At start: a job a stopped server left staging or publishing is rolled back, and a table of a job that
 * is no longer staging (the server stopped between the two) is dropped. Returns the jobs rolled back.
 */
export async function recoverImports(storage: Storage, cluster?: string): Promise<ImportJob[]> {
  const result = await storage.query({ query: `SELECT ${COLUMNS} FROM cairn.imports FINAL WHERE state IN ('staging', 'publishing')`, format: 'JSONEachRow' })
  const jobs = (await result.json<Record<string, unknown>>()).map(parse)
  // Why, as the catalogue key the API says it with (collector/host/routes/imports.ts).
  for (const job of jobs) await removeImport(storage, job, 'failed', JSON.stringify({ key: 'api.import.interrupted' }), cluster)
  // A job's tables: its staging table, and those its format adds (`import_<id>_<what>`).
  const tables = await (await storage.query({
    query: `SELECT name FROM system.tables WHERE database = 'cairn' AND match(name, '^import_[0-9]+(_[a-z]+)?$')
              AND toUInt32OrZero(extract(name, '^import_([0-9]+)')) NOT IN (SELECT import_id FROM cairn.imports FINAL WHERE state = 'staging')`,
    format: 'JSONEachRow',
  })).json<{ name: string }>()
  // Names the engine listed and the pattern matched: safe in DDL.
  for (const { name } of tables) await storage.command({ query: `DROP TABLE IF EXISTS cairn.${name}` })
  return jobs
}
