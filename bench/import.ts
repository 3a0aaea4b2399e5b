/**
 * Import: a GA4 BigQuery export of 1 M events as one Parquet file (made by ClickHouse with the export's
 * schema: 30 days, 100,000 users, visits of 8 events) sent to a running `cairn serve` as the settings screen
 * and `cairn import` send it: a job, the file's bytes, published. Target (issue 17): under a minute, in
 * bounded memory. Printed beside the engine alone copying the same file into a table (the floor).
 *
 *   tsx bench/import.ts [events]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStorage } from '../sql/client.ts'
import { prepareDataDir, startCairn } from './cairn-process.ts'

const EVENTS = Number(process.argv[2] ?? 1_000_000)
const SITE = 'bench-import.example'
const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-import-'))
const parquet = join(dataDir, '..', `${dataDir.split('/').at(-1)}-ga4.parquet`)

const text = 'Nullable(String)'
/** The columns of GA4's BigQuery export the file holds, typed as BigQuery writes them. */
const STRUCTURE = [
  'event_date String', 'event_timestamp Int64', 'event_name String',
  `event_params Array(Tuple(key String, value Tuple(string_value ${text}, int_value Nullable(Int64), float_value Nullable(Float64), double_value Nullable(Float64))))`,
  'event_bundle_sequence_id Int64', `user_pseudo_id ${text}`, 'user_first_touch_timestamp Nullable(Int64)',
  `device Tuple(category ${text}, mobile_brand_name ${text}, operating_system ${text}, operating_system_version ${text}, language ${text}, web_info Tuple(browser ${text}, browser_version ${text}, hostname ${text}))`,
  `geo Tuple(continent ${text}, country ${text}, region ${text}, city ${text})`, `traffic_source Tuple(name ${text}, medium ${text}, source ${text})`,
  `collected_traffic_source Tuple(manual_source ${text}, manual_medium ${text}, manual_campaign_name ${text}, manual_content ${text}, manual_term ${text})`,
  'platform String', 'stream_id String',
].join(', ')

const s = (v: string) => `(${v}, NULL, NULL, NULL)`
const i = (v: string) => `(NULL, ${v}, NULL, NULL)`
const GENERATE = `
  SELECT formatDateTime(t, '%Y%m%d') AS event_date, toUnixTimestamp64Micro(t) AS event_timestamp,
         ['session_start', 'page_view', 'page_view', 'user_engagement', 'page_view', 'scroll', 'file_download', 'sign_up'][1 + number % 8] AS event_name,
         [('page_location', ${s("concat('https://${SITE}/page/', toString(cityHash64(visit) % 400), if(number % 8 < 2 AND visit % 5 = 0, '?utm_source=newsletter&utm_campaign=winter', ''))")}),
          ('page_referrer', ${s("['', 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://${SITE}/'][1 + visit % 4]")}),
          ('ga_session_id', ${i('toInt64(visit)')}), ('ga_session_number', ${i('toInt64(1)')}), ('engagement_time_msec', ${i('toInt64(number % 40000)')}),
          ('link_url', ${s("'https://${SITE}/files/report.pdf'")}), ('method', ${s("'email'")})] AS event_params,
         toInt64(number) AS event_bundle_sequence_id, concat(toString(user), '.1700000000') AS user_pseudo_id, toInt64(0) AS user_first_touch_timestamp,
         (['desktop', 'mobile', 'tablet'][1 + user % 3], 'Apple', ['Windows', 'Macintosh', 'iOS', 'Android'][1 + user % 4], 'Windows 10', 'en-us',
          (['Chrome', 'Safari', 'Firefox', 'Edge'][1 + user % 4], '120.0.1', '${SITE}')) AS device,
         ('Europe', ['France', 'Germany', 'United States', 'Japan', 'Brazil'][1 + user % 5], '', '') AS geo,
         ('(direct)', '(none)', '(direct)') AS traffic_source,
         (if(visit % 5 = 0 AND number % 8 < 2, 'newsletter', NULL), NULL, NULL, NULL, NULL) AS collected_traffic_source, 'WEB' AS platform, '1' AS stream_id
  FROM (SELECT number, intDiv(number, 8) AS visit, visit % 100000 AS user,
               now64(6) - toIntervalDay(40) + toIntervalMicrosecond(toUInt64(number * (30 * 86400e6 / ${EVENTS}))) AS t FROM numbers(${EVENTS}))`

// The file, and the floor: the engine copying it into a table of its own.
const key = await prepareDataDir(dataDir)
let floorMs = 0
{
  const storage = openStorage({ dataDir })
  await storage.command({ query: `INSERT INTO FUNCTION file('${parquet}', 'Parquet', '${STRUCTURE}') ${GENERATE} SETTINGS engine_file_truncate_on_insert = 1` })
  await storage.command({ query: `CREATE TABLE default.floor (${STRUCTURE}) ENGINE = MergeTree ORDER BY tuple()` })
  const started = performance.now()
  await storage.command({ query: `INSERT INTO default.floor SELECT * FROM file('${parquet}', 'Parquet', '${STRUCTURE}')` })
  floorMs = performance.now() - started
  await storage.command({ query: 'DROP TABLE default.floor' })
  await storage.close()
}
const bytes = statSync(parquet).size

const cairn = await startCairn(dataDir, { CAIRN_SITES: `${SITE}=UTC` })
const call = async (method: string, path: string, body?: BodyInit, type = 'application/json') => {
  const response = await fetch(`${cairn.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': type }, body, duplex: 'half' } as RequestInit)
  const answer = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`)
  return answer
}
const rssBefore = cairn.peakRssMiB()
const started = performance.now()
const job = await call('POST', `/api/sites/${SITE}/imports`, JSON.stringify({ kind: 'ga4' }))
const read = await call('PUT', `/api/sites/${SITE}/imports/${job.id}/files?name=events.parquet`, readFileSync(parquet), 'application/octet-stream')
const readMs = performance.now() - started
const rssRead = cairn.peakRssMiB()
const done = await call('POST', `/api/sites/${SITE}/imports/${job.id}/publish`, '{}')
const totalMs = performance.now() - started
const rssAfter = cairn.peakRssMiB()
await cairn.stop()
rmSync(dataDir, { recursive: true, force: true })
rmSync(parquet, { force: true })

const n = (v: number) => Math.round(v).toLocaleString('en')
console.log(`\nimport: GA4 BigQuery export, ${n(EVENTS)} events in one Parquet file (${(bytes / 2 ** 20).toFixed(1)} MiB)`)
console.log(`  sent and read into the job:  ${n(readMs)} ms (${n(Number(read.records))} records)`)
console.log(`  published:                   ${n(totalMs - readMs)} ms (${n(Number(done.written))} events written, ${n(Number(done.skipped))} left out)`)
console.log(`  whole import:                ${n(totalMs)} ms   (target < 60,000 ms)`)
console.log(`  floor, the engine copying the file into a table: ${n(floorMs)} ms (import / floor: ${(totalMs / floorMs).toFixed(1)}×)`)
console.log(`  server peak RSS: ${n(rssBefore)} MiB before, ${n(rssRead)} MiB once read, ${n(rssAfter)} MiB once published`)
