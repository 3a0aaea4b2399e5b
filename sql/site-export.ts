/**
 * A site's whole history as one zip, for a customer who leaves or keeps its own copy: its events and its
 * visits, month by month, as Parquet and as CSV, with the columns' meanings (this folder's README), and
 * the same days in Plausible CE's CSV export format (plausible-export.ts) under `plausible/`. What is
 * exported is what is stored: no full IP address (there is none), visitor ids as stored.
 *
 * Streamed, in memory bounded by the largest month: the embedded engine answers a query whole, so each
 * entry is read when the zip reaches it (a month's Parquet; a CSV a day at a time), never the whole
 * history at once. A query that fails, or a reader who goes away, stops it: the zip is then cut short,
 * without its directory, which every unzip program reports as damaged.
 */
import { readFileSync } from 'node:fs'
import { Readable, type Writable } from 'node:stream'
import { ZipFile } from 'yazl'
import type { Storage } from './client.ts'
import { PLAUSIBLE_TABLES, plausibleFileName } from './plausible-export.ts'

/** The tables exported, as analysts know them (sql/README.md), with the column that dates a row. */
const TABLES = [
  // The truncated address as text: Parquet has no address type (it would be 16 opaque bytes).
  // Events in the table's own order (day, name, visitor, time): read in order, not sorted, which took a
  // month of the 10 M set from 4.6 s to 0.9 s.
  { entry: 'events', select: 'SELECT * REPLACE (toString(ip_truncated) AS ip_truncated) FROM cairn.events', at: 'timestamp', order: 'site, toDate(timestamp), name, visitor_id, timestamp' },
  { entry: 'visits', select: 'SELECT * FROM cairn.sessions', at: 'start', order: 'start, session_id' },
] as const

export interface ExportProgress {
  /** Entries written, of all. */
  done: number
  total: number
  /** The entry being written, e.g. `events/2026-01.parquet`. */
  entry: string
}

/** The zip's name for a site on a day: `cairn-<site>-<YYYY-MM-DD>.zip`, safe in a header and a path. */
export const exportFileName = (site: string, atMs: number) => `cairn-${site.replace(/[^\w.-]/g, '_')}-${new Date(atMs).toISOString().slice(0, 10)}.zip`

/** The months (YYYY-MM) in which a site has events. */
export async function exportedMonths(storage: Storage, site: string): Promise<string[]> {
  const result = await storage.query({
    query: `SELECT DISTINCT formatDateTime(timestamp, '%Y-%m', 'UTC') AS month FROM cairn.events WHERE site = {site:String} ORDER BY month`,
    query_params: { site },
    format: 'JSONEachRow',
  })
  return (await result.json<{ month: string }>()).map((r) => r.month)
}

/** The README in the zip: the columns of both tables and their definitions, from sql/README.md. */
export function exportReadme(site: string, months: string[]): string {
  const reference = readFileSync(new URL('./README.md', import.meta.url), 'utf8')
  const columns = reference.slice(reference.indexOf('## `cairn.events`'), reference.indexOf('## Views'))
  return `# ${site}: events and visits exported from Cairn

${months.length ? `From ${months[0]} to ${months.at(-1)} (UTC), a file per month and format:` : 'No events.'}

- \`events/YYYY-MM.parquet\`, \`events/YYYY-MM.csv\`: one row per event (\`cairn.events\`), by day, then name,
  visitor and time (the table's own order).
- \`visits/YYYY-MM.parquet\`, \`visits/YYYY-MM.csv\`: one row per visit started that month (\`cairn.sessions\`).
- \`plausible/imported_*.csv\`: the same history as Plausible CE's CSV export (a row per day, in the site's
  time zone, and per page, source, country…), for Plausible's "Import from CSV".

CSV files have a header row, comma-separated, quoted as RFC 4180. Times are UTC.

${columns.replaceAll('## `cairn.sessions` — one row per visit (a view)', '## `cairn.sessions` (visits) — one row per visit')}`
}

/** Writes the zip to `out`; resolves when it is all written. */
export async function writeSiteExport(storage: Storage, site: { site: string; timeZone: string }, out: Writable, onProgress?: (p: ExportProgress) => void): Promise<{ months: number; entries: number }> {
  const zip = new ZipFile()
  let failure: Error | undefined
  const stop = (error: Error) => {
    failure ??= error
    zip.outputStream.unpipe(out)
    ;(zip.outputStream as Readable).destroy()
    out.destroy(failure)
  }
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', () => (failure ? reject(failure) : resolve()))
    out.once('error', (error: Error) => reject((failure ??= error)))
    // Closed before it finished: the reader went away, or an entry failed.
    out.once('close', () => {
      if (out.writableFinished && !failure) return resolve()
      stop(new Error('the export was cut off: its reader went away'))
      reject(failure)
    })
  })
  // Awaited once the zip is under way; a reader who goes away before then must not be an unhandled rejection.
  finished.catch(() => {})
  // Node's pipe() does not pass on the source's errors: an entry's or the zip's stop it here.
  zip.once('error', stop)
  zip.outputStream.once('error', stop)
  // Listened to before anything is awaited: a reader may go away at once.
  if (out.destroyed) stop(new Error('the export was cut off: its reader went away'))
  const [months, days] = await Promise.all([exportedMonths(storage, site.site), localDays(storage, site)]).catch((error: Error) => {
    stop(error)
    throw error
  })
  if (failure) throw failure
  zip.outputStream.pipe(out)
  const entries: { name: string; read: () => Readable }[] = [{ name: 'README.md', read: () => Readable.from([exportReadme(site.site, months)]) }]
  for (const month of months) {
    const [from, to] = [`${month}-01 00:00:00`, nextMonth(month)]
    for (const t of TABLES) {
      const where = `site = {site:String} AND ${t.at} >= toDateTime64({from:String}, 3, 'UTC') AND ${t.at} < toDateTime64({to:String}, 3, 'UTC')`
      const query = (format: 'Parquet' | 'CSVWithNames' | 'CSV', dayFrom = from, dayTo = to) => bytes(storage, `${t.select} WHERE ${where} ORDER BY ${t.order}`, { site: site.site, from: dayFrom, to: dayTo }, format)
      entries.push({ name: `${t.entry}/${month}.parquet`, read: () => Readable.from(once(() => query('Parquet'))) })
      // A CSV a day at a time: a month of a big site would otherwise be held whole (gigabytes).
      entries.push({
        name: `${t.entry}/${month}.csv`,
        read: () => Readable.from((async function* () {
          for (const [i, [a, b]] of daysOf(month).entries()) yield await query(i === 0 ? 'CSVWithNames' : 'CSV', a, b)
        })()),
      })
    }
  }
  if (days) {
    // A file each, for the whole range, written a month (of the site's days) at a time, its header once.
    const spans = localMonths(days.first, days.last)
    for (const table of PLAUSIBLE_TABLES) {
      entries.push({
        name: `plausible/${plausibleFileName(table.name, days.first, days.last)}`,
        read: () => Readable.from((async function* () {
          for (const [i, [from, to]] of spans.entries()) {
            yield await bytes(storage, table.sql, { site: site.site, tz: site.timeZone, from, to }, i === 0 ? 'CSVWithNames' : 'CSV')
          }
        })()),
      })
    }
  }
  for (const [i, entry] of entries.entries()) {
    zip.addReadStreamLazy(entry.name, { compress: !entry.name.endsWith('.parquet') }, (callback) => {
      // Stopped: no further query.
      if (failure) return callback(failure, undefined as never)
      onProgress?.({ done: i, total: entries.length, entry: entry.name })
      const stream = entry.read()
      stream.once('error', (error: Error) => stop(new Error(`${entry.name}: ${error.message}`)))
      callback(null, stream)
    })
  }
  zip.end()
  await finished
  onProgress?.({ done: entries.length, total: entries.length, entry: '' })
  return { months: months.length, entries: entries.length }
}

/**
 * A query's answer in `format`, as bytes. CSV through `query`, which spreads reads over the embedded
 * engine's sessions; Parquet through `exec`, as `query` cuts answers into lines (binary ones too), so a
 * month's Parquet shares the session that writes the events (a second a month on the 10 M set).
 */
async function bytes(storage: Storage, query: string, params: Record<string, unknown>, format: 'Parquet' | 'CSVWithNames' | 'CSV'): Promise<Buffer> {
  if (format !== 'Parquet') return Buffer.from(await (await storage.query({ query, query_params: params, format })).text())
  const result = await storage.exec({ query: `${query} FORMAT Parquet`, query_params: params })
  const chunks: Buffer[] = []
  for await (const chunk of result.stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

async function* once(read: () => Promise<Buffer>): AsyncGenerator<Buffer> {
  yield await read()
}

/** The site's first and last local days with events, if any. */
async function localDays(storage: Storage, site: { site: string; timeZone: string }): Promise<{ first: string; last: string } | undefined> {
  const result = await storage.query({
    query: 'SELECT count() AS n, toString(toDate(min(timestamp), {tz:String})) AS first, toString(toDate(max(timestamp), {tz:String})) AS last FROM cairn.events WHERE site = {site:String}',
    query_params: { site: site.site, tz: site.timeZone },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ n: string; first: string; last: string }>()
  return row && Number(row.n) > 0 ? { first: row.first, last: row.last } : undefined
}

/** Local days [first, last] cut into months, as [from, to) dates. */
function localMonths(first: string, last: string): [string, string][] {
  const spans: [string, string][] = []
  for (let from = first; from <= last; ) {
    const to = nextMonth(from.slice(0, 7)).slice(0, 10)
    spans.push([from, to])
    from = to
  }
  return spans
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`
  return `${next}-01 00:00:00`
}

/** A month's days as [from, to) bounds. */
function daysOf(month: string): [string, string][] {
  const start = Date.parse(`${month}-01T00:00:00Z`)
  const end = Date.parse(nextMonth(month).replace(' ', 'T') + 'Z')
  const days: [string, string][] = []
  for (let t = start; t < end; t += 86_400_000) {
    const text = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
    days.push([text(t), text(t + 86_400_000)])
  }
  return days
}
