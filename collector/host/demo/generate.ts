/**
 * `cairn demo`: realistic traffic for a site, made inside ClickHouse (`INSERT … SELECT … FROM numbers()`) and
 * written to cairn.events in chunks, so the sessions rollup fills as in production. Deterministic for a
 * given seed and end time: every draw is a hash of (seed, session number, page, draw number), never rand(),
 * so session n is the same whatever the chunk it falls in. The catalogue's weights reach the SQL as bound
 * parameters.
 */
import type { Storage } from '../../../sql/client.ts'
import { CLIENTS, COUNTRIES, CUSTOM_EVENTS, FILES, HOURLY_UTC, OUTBOUND, PAGES, SOURCES, WEEKDAY, type Weighted } from './catalog.ts'

export interface DemoOptions {
  site: string
  /** Exactly this many rows are written. */
  events: number
  /** Traffic spreads over this many days before `endMs`. */
  days?: number
  endMs?: number
  seed?: number
  /** Called after every chunk with rows written so far. */
  onProgress?: (written: number, total: number) => void
  /** Stops between two chunks (a server shutting down). */
  signal?: AbortSignal
}

/**
 * Events per INSERT (~1 GB of peak RSS at this size, 1.6 GB at 2 M, for the same speed), and progress every
 * few seconds. Kept small also because chDB runs parameterized queries one at a time in the process: a
 * live server's queries wait for the chunk.
 */
const CHUNK_EVENTS = 1_000_000
/** Sessions counted per planning query (its running sum sorts them: bounded memory). */
const PLAN_SESSIONS = 2_000_000
const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

/**
 * Walker's alias table (Vose's construction): a weighted pick in O(1) from one uniform draw, where a
 * cumulative table would need a scan per draw. `a` is 1-based, as ClickHouse arrays are.
 */
function aliasTable(weights: number[]): { p: number[]; a: number[] } {
  const n = weights.length
  const total = weights.reduce((sum, w) => sum + w, 0)
  const scaled = weights.map((w) => (w * n) / total)
  const p = new Array<number>(n).fill(1)
  const a = Array.from({ length: n }, (_, i) => i + 1)
  const small: number[] = []
  const large: number[] = []
  scaled.forEach((s, i) => (s < 1 ? small : large).push(i))
  while (small.length > 0 && large.length > 0) {
    const l = small.pop()!
    const g = large.pop()!
    p[l] = scaled[l]!
    a[l] = g + 1
    scaled[g] = scaled[g]! + scaled[l]! - 1
    ;(scaled[g]! < 1 ? small : large).push(g)
  }
  return { p, a }
}

/** A uniform draw in [0, 1): the top 53 bits of intHash64 (murmur's finaliser) of a 64-bit key plus a draw number. */
const u = (key: string, draw: number) => `(bitShiftRight(intHash64(${key} + ${draw}), 11) / 9007199254740992)`

/** The 1-based index of a weighted pick from the alias table `list`, given a uniform draw (a name: it is repeated). */
function pick(list: string, x: string): string {
  const scaled = `(${x} * length({${list}_p:Array(Float64)}))`
  const i = `(toUInt32(${scaled}) + 1)`
  return `if(${scaled} - floor(${scaled}) < {${list}_p:Array(Float64)}[${i}], ${i}, {${list}_a:Array(UInt16)}[${i}])`
}

/**
 * One row per session `s` of numbers({from}, {count}) that passes `filter`, with its time window `w` (one
 * of {windows} quantiles of the start-time draw, so a window is a stretch of time), its events as `ev`, an
 * array of (timestamp ms, name, page, link, props, engagement ms, scroll depth) with the strings as indexes
 * into the bound tables, and their count `n`. Each page has four slots (pageview, download/outbound/custom
 * event, the demo request a signup may bring, engagement); an empty slot, like an event after {end}, gets a
 * time past {end} and is dropped.
 */
const sessions = (filter: string) => `
WITH cells AS (
  -- The period in UTC hours, each weighted by the hour of day, the weekday and a growth from 0.6 to 1 over
  -- the period: a session's start is one cumulative draw over them (an ASOF JOIN finds its hour).
  SELECT 0 AS key, c.1 AS lo, c.2 AS len, c.3 AS below, c.4 AS weight
  FROM (
    SELECT arrayJoin(arrayZip(los, lens, arrayPushFront(arrayPopBack(arrayCumSum(ws)), 0), ws)) AS c
    FROM (
      SELECT
        arrayMap(i -> greatest({start:Int64}, ({firstHour:Int64} + i) * ${HOUR_MS}), range({cells:UInt32})) AS los,
        arrayMap((i, lo) -> least({end:Int64}, ({firstHour:Int64} + i + 1) * ${HOUR_MS}) - lo, range({cells:UInt32}), los) AS lens,
        arrayMap((lo, len) -> len
          * {hourly:Array(Float64)}[toHour(fromUnixTimestamp64Milli(lo, 'UTC')) + 1]
          * {weekday:Array(Float64)}[toDayOfWeek(fromUnixTimestamp64Milli(lo, 'UTC'), 2) + 1]
          * (0.6 + 0.4 * (lo + len / 2 - {start:Int64}) / ({end:Int64} - {start:Int64})), los, lens) AS ws
    )
  )
)
SELECT
  s, k, toUInt32(u_time * {windows:UInt32}) AS w, c.lo + least(c.len - 1, toInt64((d.x - c.below) / c.weight * c.len)) AS start,
  ${u('k', 2)} < 0.35 AS consent,
  -- Consented visitors come back: a pool of ids, the first ones more often; a cookieless visitor is new each visit.
  cityHash64({seed:UInt32}, toUInt64(pow(${u('k', 3)}, 2) * {pool:UInt64}), 'returning') AS vk,
  bitOr(if(consent, intHash64(vk), intHash64(k + 17)), 1) AS visitor_id,
  bitOr(intHash64(k + 18), 1) AS session_id,
  if(consent, ${u('vk', 1)}, ${u('k', 15)}) AS u_client, ${pick('clients', 'u_client')} AS client,
  if(consent, ${u('vk', 2)}, ${u('k', 16)}) AS u_country, ${pick('countries', 'u_country')} AS country,
  ${u('k', 4)} AS u_source, ${pick('sources', 'u_source')} AS source,
  {campaigns:Array(Array(String))}[source] AS campaigns, {contents:Array(Array(String))}[source] AS contents, {terms:Array(Array(String))}[source] AS terms,
  campaigns[toUInt32(${u('k', 5)} * length(campaigns)) + 1] AS utm_campaign,
  contents[toUInt32(${u('k', 6)} * length(contents)) + 1] AS utm_content,
  terms[toUInt32(${u('k', 7)} * length(terms)) + 1] AS utm_term,
  -- ::ffff:a.b.c.0, as the collector truncates an IPv4 address.
  CAST(toIPv4((1 + toUInt32(${u('k', 8)} * 223)) * 16777216 + toUInt32(${u('k', 9)} * 256) * 65536 + toUInt32(${u('k', 10)} * 256) * 256) AS IPv6) AS ip,
  -- 45 % of visits see one page; the rest a few more.
  if(${u('k', 11)} < 0.45, 1, 2 + toUInt32(pow(${u('k', 12)}, 1.5) * 8)) AS pages,
  ${u('k', 14)} AS u_first,
  if({tagged:Array(Bool)}[source] OR ${u('k', 13)} < 0.5, ${pick('pages', 'u_first')}, {root:UInt16}) AS first_page,
  arrayMap(p -> cityHash64(k, p), range(pages)) AS pk,
  arrayMap(h -> toInt64(5000 + pow(${u('h', 1)}, 2) * 240000), pk) AS dwell,
  arrayMap((h, w) -> w + toInt64(${u('h', 2)} * 20000), pk, dwell) AS step,
  arrayMap((cum, st) -> start + cum - st, arrayCumSum(step), step) AS at,
  arrayMap(h -> ${u('h', 3)}, pk) AS roll,
  arrayMap(h -> ${u('h', 4)}, pk) AS u_extra,
  arrayMap(x -> ${pick('custom', 'x')}, u_extra) AS custom,
  -- A quarter of signups ask for a demo right after: the demo's funnel (pricing → signup → demo) goes through.
  arrayMap((r, e, h) -> r >= 0.1 AND r < 0.13 AND {customNames:Array(String)}[e] = 'Signup' AND ${u('h', 6)} < 0.25, roll, custom, pk) AS demo,
  arrayMap(h -> ${u('h', 7)} < 0.7, pk) AS engaged,
  arrayFlatten(arrayMap((t, w, r, dm, g) -> [
    t,
    if(r < 0.13, t + intDiv(w, if(r < 0.1, 2, 3)), {end:Int64} + 1),
    if(dm, t + intDiv(w * 2, 3), {end:Int64} + 1),
    if(g, t + w, {end:Int64} + 1)
  ], at, dwell, roll, demo, engaged)) AS times,
  arrayCount(t -> t <= {end:Int64}, times) AS n,
  arrayMap(h -> ${u('h', 9)}, pk) AS u_page,
  arrayMap((p, x) -> if(p = 0, first_page, ${pick('pages', 'x')}), range(pages), u_page) AS page,
  arrayFilter(e -> e.1 <= {end:Int64}, arrayZip(
    times,
    -- names: pageview, download, outbound, engagement, Demo Request, then the custom events
    arrayFlatten(arrayMap((r, e) -> [1, if(r < 0.06, 2, if(r < 0.1, 3, 5 + e)), 5, 4], roll, custom)),
    arrayFlatten(arrayMap(pg -> [pg, pg, pg, pg], page)),
    -- links: none, the files, the outbound links
    arrayFlatten(arrayMap((r, x) -> [1, if(r < 0.06, 1 + ${pick('files', 'x')}, if(r < 0.1, 1 + length({files_p:Array(Float64)}) + ${pick('outbound', 'x')}, 1)), 1, 1], roll, u_extra)),
    -- props: none, the demo request's, then each custom event's choices
    arrayFlatten(arrayMap((r, e, h) -> [1, if(r >= 0.1 AND r < 0.13, {propsFrom:Array(UInt16)}[e] + toUInt16(${u('h', 5)} * {propsCount:Array(UInt16)}[e]), 1), 2, 1], roll, custom, pk)),
    arrayFlatten(arrayMap(w -> [0, 0, 0, w], dwell)),
    arrayFlatten(arrayMap(h -> [0, 0, 0, 20 + toUInt8(${u('h', 8)} * 81)], pk))
  )) AS ev
FROM (
  SELECT number AS s, cityHash64({seed:UInt32}, number) AS k, 0 AS key, ${u('k', 1)} AS u_time, u_time * (SELECT max(below + weight) FROM cells) AS x
  FROM numbers_mt({from:UInt64}, {count:UInt64})
  WHERE ${filter}
) AS d
ASOF LEFT JOIN cells AS c ON d.key = c.key AND d.x >= c.below`

/**
 * How many events sessions {from}… hold, and where {need} is reached: its last session and how many of that
 * session's events are kept; and the events kept per time window (keys, counts).
 */
const PLAN = `
SELECT max(cum) AS total, max(cum) >= {need:UInt64} AS reached,
       argMinIf(s, s, cum >= {need:UInt64}) AS last, argMinIf(n + {need:UInt64} - cum, s, cum >= {need:UInt64}) AS keep,
       sumMap([w], [if(cum - n >= {need:UInt64}, 0, least(n, n + {need:UInt64} - cum))]) AS windows
FROM (SELECT s, w, n, sum(n) OVER (ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum FROM (${sessions('1')}))`

/** The events of time window {window} of sessions {from}…, those of session {last} only up to the {keep}th. */
const INSERT = `
INSERT INTO cairn.events (site, timestamp, name, visitor_id, session_id, session_start, consent, interactive, hostname, pathname,
  referrer, referrer_source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, link_url,
  browser, browser_version, os, os_version, device, country_code, ip_truncated, props, engagement_ms, scroll_depth)
SELECT
  {site:String}, fromUnixTimestamp64Milli(e.1, 'UTC'), {names:Array(String)}[e.2], visitor_id, session_id,
  fromUnixTimestamp64Milli(start, 'UTC'), consent, true, {hosts:Array(String)}[e.3], {paths:Array(String)}[e.3],
  {referrers:Array(String)}[source], {referrerSources:Array(String)}[source], {utmSources:Array(String)}[source], {utmMediums:Array(String)}[source],
  utm_campaign, utm_content, utm_term, {links:Array(String)}[e.4],
  {browsers:Array(String)}[client], {browserVersions:Array(String)}[client], {oses:Array(String)}[client], {osVersions:Array(String)}[client], {devices:Array(String)}[client],
  {countryCodes:Array(String)}[country], ip, {props:Array(Map(String, String))}[e.5], toUInt32(e.6), toUInt8(e.7)
FROM (${sessions('toUInt32(u_time * {windows:UInt32}) = {window:UInt32}')})
ARRAY JOIN ev AS e, arrayEnumerate(ev) AS i
WHERE s < {last:UInt64} OR i <= {keep:UInt64}
-- Two streams into the table and its view (ClickHouse inserts through views in one otherwise); a window
-- longer than 100 months (partitions) in one block, which ClickHouse refuses by default.
SETTINGS max_insert_threads = 2, parallel_view_processing = 1, throw_on_max_partitions_per_insert_block = 0`

/** The catalogue as bound parameters: alias tables for the weighted picks, then the values they index. */
function catalogParams(site: string): Record<string, unknown> {
  const tables = { sources: SOURCES, clients: CLIENTS, countries: COUNTRIES, pages: PAGES, files: FILES, outbound: OUTBOUND, custom: CUSTOM_EVENTS }
  const params: Record<string, unknown> = {}
  for (const [name, list] of Object.entries(tables) as [string, Weighted<unknown>][]) {
    const { p, a } = aliasTable(list.map(([, w]) => w))
    params[`${name}_p`] = p
    params[`${name}_a`] = a
  }
  const sources = SOURCES.map(([s]) => s)
  const clients = CLIENTS.map(([c]) => c)
  const paths = PAGES.map(([p]) => p)
  const customs = CUSTOM_EVENTS.map(([c]) => c)
  const root = paths.indexOf('/') + 1
  if (root === 0) throw new Error("the demo's pages must include '/'")
  // Custom event e's props are props[propsFrom[e] + 0 … propsCount[e] - 1], after none and the demo request's.
  const propsFrom = customs.map((_, e) => 3 + customs.slice(0, e).reduce((sum, c) => sum + c.props.length, 0))
  return {
    ...params,
    referrers: sources.map((s) => s.referrer), referrerSources: sources.map((s) => s.referrer_source),
    utmSources: sources.map((s) => s.utm?.source ?? ''), utmMediums: sources.map((s) => s.utm?.medium ?? ''), tagged: sources.map((s) => !!s.utm),
    campaigns: sources.map((s) => s.utm?.campaigns ?? []), contents: sources.map((s) => s.utm?.contents ?? []), terms: sources.map((s) => s.utm?.terms ?? []),
    browsers: clients.map((c) => c.browser), browserVersions: clients.map((c) => c.browser_version), oses: clients.map((c) => c.os),
    osVersions: clients.map((c) => c.os_version), devices: clients.map((c) => c.device),
    countryCodes: COUNTRIES.map(([c]) => c),
    paths, root,
    // The documentation is served from its own subdomain, as sites on several hosts are.
    hosts: paths.map((p) => (p.startsWith('/docs') ? `docs.${site}` : site)),
    links: ['', ...FILES.map(([f]) => `https://${site}${f}`), ...OUTBOUND.map(([o]) => o)],
    names: ['pageview', 'download', 'outbound', 'engagement', 'Demo Request', ...customs.map((c) => c.name)],
    customNames: customs.map((c) => c.name),
    props: [{}, { size: '11-50' }, ...customs.flatMap((c) => c.props)],
    propsFrom, propsCount: customs.map((c) => c.props.length),
  }
}

export async function generateDemo(storage: Storage, options: DemoOptions): Promise<number> {
  const days = options.days ?? 365
  if (!(days > 0) || !Number.isFinite(days)) throw new RangeError(`days must be a positive number, not ${days}`)
  const total = Math.max(0, Math.floor(options.events))
  const end = Math.floor(options.endMs ?? Date.now())
  // Whole milliseconds, at least one: an event is never before endMs − days nor after endMs.
  const start = Math.min(end - 1, Math.ceil(end - days * DAY_MS))
  const firstHour = Math.floor(start / HOUR_MS)
  const fixed = {
    ...catalogParams(options.site),
    site: options.site, seed: (options.seed ?? 42) >>> 0, start, end, firstHour, cells: Math.ceil(end / HOUR_MS) - firstHour,
    hourly: HOURLY_UTC, weekday: WEEKDAY,
    // The returning (consented) visitors: events / 40 ids.
    pool: Math.max(10, Math.floor(total / 40)),
  }

  // 1. Which sessions hold exactly `total` events: 0 … last, the last one cut after its `keep`th event,
  // counted in session order (cheap: no rows written), so the data does not depend on the chunks.
  const windows = Math.max(1, Math.ceil(total / CHUNK_EVENTS))
  const perWindow = new Array<number>(windows).fill(0)
  let [counted, next, last, keep] = [0, 0, -1, 0]
  let perSession = 5.5 // about 3 pages of 1.8 events; corrected by each count
  while (counted < total) {
    if (options.signal?.aborted) return 0
    const need = total - counted
    const count = Math.min(PLAN_SESSIONS, Math.ceil((need / perSession) * 1.02) + 16)
    const result = await storage.query({ query: PLAN, query_params: { ...fixed, windows, from: next, count, need }, format: 'JSONEachRow' })
    const [plan] = await result.json<{ total: string; reached: boolean | number; last: string; keep: string; windows: [string[], string[]] }>()
    const [keys, sums] = plan!.windows
    keys.forEach((w, i) => (perWindow[Number(w)]! += Number(sums[i])))
    perSession = Math.max(1, Number(plan!.total) / count)
    if (plan!.reached) [counted, last, keep] = [total, Number(plan!.last), Number(plan!.keep)]
    else [counted, next] = [counted + Number(plan!.total), next + count]
  }

  // 2. The events, one time window after the other: each insert touches one or two months (partitions),
  // not all 13 of a year, so parts are few and large and background merges stay light (inserted in
  // session order, 100 M events ran at less than half this speed, slowing down as the parts piled up).
  let written = 0
  for (let window = 0; window < windows && !options.signal?.aborted; window++) {
    if (perWindow[window] === 0) continue
    await storage.command({ query: INSERT, query_params: { ...fixed, windows, window, from: 0, count: last + 1, last, keep } })
    written += perWindow[window]!
    options.onProgress?.(written, total)
  }
  return written
}
