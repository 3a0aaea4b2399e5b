/**
 * Rollups of settled days (sql/migrations/0019_range_rollups.sql): the dashboard's figures for a range's
 * days up to yesterday, counted once from the events and the visits by the same SQL the stats use
 * (sources.ts), so that a load reads a few hundred rows and today's events instead of a year of events.
 * The sealer makes them for the ranges people look at (each standard period and the one before it, for
 * the comparison); any other range is counted from the events, as it always was.
 *
 * A range of a load is read from a seal when it has no filter and no goal, and is not asked `exact`. A
 * range that runs on to today is sealed up to yesterday, less the visits still open at midnight, which the
 * load counts with today's (their bounce and duration may still change); a range that ended before is
 * sealed whole once its visits are over, up to the day before yesterday. A seal is used only while its
 * fingerprint (the events of its days, and of the next for a whole one) still counts what it counted, so a
 * late event, an erasure or retention makes it fall back to the events.
 */
import type { Storage } from '../../sql/client.ts'
import { BREAKDOWN_NAMES, DIMENSION, type Dimension, type DimensionName } from '../../sql/dimensions.ts'
import { addDays, daysBetween, localDate, previousRange, resolveRange, type DateRange, type Period } from './range.ts'
import { Batches, sharedWhileRunning } from './batch.ts'
import { SETTINGS, bucketOf, openVisits, rows, scope, visits, type StatsQuery } from './sources.ts'

/**
 * The distinct counts' state: exact to 2,048 ids (a set of 64-bit hashes), a 2^16-cell HyperLogLog past
 * them. A load does not take the merged sketch's own estimate: it adds to the seal's exact count what
 * merging the days after it adds to the seal's estimate (stats.ts, `distinct`), so the sketch's error
 * touches only the visitors those days add. Measured on 500 sets of 1,000 to 1,000,000 ids with 0.1 to
 * 50 % more: 0.40 % at the 95th percentile, where the merged estimate errs by 0.88 % (and by 1.9 % between
 * 50,000 and 500,000 ids, where its estimator changes; this way, 0.15 %). 2^17 cells err half as much but
 * take twice the room and time: the seals were 2.1 B of the 26.9 B an event took on disk on the 10 M set.
 */
export const STATE = 'uniqCombined64(16)'
/**
 * A merged figure above this may be an estimate, and the API says so. (The set holds 2,048 hashes; a sketch
 * of a few more can estimate a little under it, and 1,950 leaves room for that.)
 */
export const EXACT_UP_TO = 1_950

/** The standard periods whose ranges, and the ranges just before them, the sealer keeps sealed. */
const SEALED_PERIODS: Period[] = ['7d', '30d', 'month', 'last_month', '12mo']

/** A seal older than this is made again before its rows' TTL (3 days) can remove them under a reader. */
const RESEAL_AFTER_MS = 2 * 86_400_000

export interface SealKey {
  site: string
  timeZone: string
  from: string
  /** The last local day sealed, inclusive: yesterday for a seal that leaves visits open, else the day before at most. */
  through: string
  /**
   * Whether loads merge it with the days after it (the range goes on past `through`): it then keeps the
   * states of its distinct counts; a seal of a whole range keeps exact counts only.
   */
  merges: boolean
  /** Whether it leaves out the visits still open at its end (it runs up to yesterday), which loads count with today's. */
  leavesOpen: boolean
}

/** What a seal's '#seal' row holds in `rows`, so a load finds one of its kind: whole, merging, or merging and leaving visits open. */
const kindOf = (key: SealKey) => (key.leavesOpen ? 2 : key.merges ? 1 : 0)

export interface Seal extends SealKey {
  /** Identifies the seal's rows ('YYYY-MM-DD hh:mm:ss.mmm', UTC). */
  sealedAt: string
  /** For a seal that leaves visits open, those it left, as the load found them (sources.ts). */
  open?: { days: string[]; sessions: string[] }
}

/**
 * The part of a query's range a seal can stand for, when the query has no filter and asks neither exact
 * figures nor hours: up to yesterday if the range runs on to today, else its days up to the day before
 * yesterday (the visits of yesterday may go on today); `undefined` when none.
 */
export function sealablePart(q: StatsQuery): SealKey | undefined {
  if (!q.today || q.exact || q.range.interval === 'hour' || Object.keys(q.filters).length > 0) return undefined
  const leavesOpen = q.range.to >= q.today
  const settled = addDays(q.today, leavesOpen ? -1 : -2)
  const through = q.range.to < settled ? q.range.to : settled
  return through < q.range.from ? undefined : { site: q.site, timeZone: q.timeZone, from: q.range.from, through, merges: through < q.range.to, leavesOpen }
}

/**
 * What a query reads from the events beside the seal: nothing, or the days after it to the range's end,
 * with the visits the seal left open.
 */
export function rawPart(q: StatsQuery, seal: Seal): StatsQuery | undefined {
  if (seal.through >= q.range.to) return undefined
  return { ...q, range: { ...q.range, from: addDays(seal.through, 1) }, ...(seal.open && { carried: { from: seal.from, ...seal.open } }) }
}

const day = (d: string) => `${d} 00:00:00`

/**
 * What a seal's fingerprint counts: every event of its days, and of the day after for a seal that holds
 * every visit of its days (they may go on then; that day is over when the seal is made). One that leaves
 * the open visits to the load holds only visits over at its end, which no later event changes. Summed
 * from the events' counts by quarter hour (cairn.event_counts), not counted at each load.
 */
function fingerprintParams(key: SealKey) {
  return { site: key.site, tz: key.timeZone, fp_from: day(key.from), fp_to: day(addDays(key.through, key.leavesOpen ? 1 : 2)) }
}
const FINGERPRINT = `SELECT sum(events) FROM cairn.event_counts WHERE site = {site:String}
  AND at >= toDateTime({fp_from:String}, {tz:String}) AND at < toDateTime({fp_to:String}, {tz:String})`

async function hasEvents(storage: Storage, key: SealKey): Promise<boolean> {
  const [row] = await rows<{ n: string }>(storage, `SELECT count() AS n FROM cairn.events WHERE site = {site:String}
    AND timestamp >= toDateTime64({fp_from:String}, 3, {tz:String}) AND timestamp < toDateTime64({fp_to:String}, 3, {tz:String})`, fingerprintParams(key))
  return Number(row?.n ?? 0) > 0
}

/**
 * The newest complete seal of these days in this zone (with states, for a key that merges), and whether its
 * events still count the same.
 */
async function newestSeal(storage: Storage, key: SealKey): Promise<(Seal & { valid: boolean; sealedMs: number; fingerprint: string }) | undefined> {
  // Output names differ from the columns': a ClickHouse alias would stand for the column everywhere.
  const [found] = await rows<{ sealed: string; sealed_ms: string; valid: number; counted: string }>(storage, `
    SELECT toString(sealed_at) AS sealed, toUnixTimestamp64Milli(sealed_at) AS sealed_ms, fingerprint = (${FINGERPRINT}) AS valid, toString(fingerprint) AS counted
    FROM cairn.range_rollups
    WHERE site = {site:String} AND from_day = {seal_from:Date} AND through_day = {seal_through:Date} AND dimension = '#seal' AND value = {tz:String}
          AND (rows = {kind:UInt8} OR (rows = 1 AND {kind:UInt8} = 0))
    ORDER BY sealed_at DESC LIMIT 1`, { ...fingerprintParams(key), seal_from: key.from, seal_through: key.through, kind: kindOf(key) })
  return found && { ...key, sealedAt: found.sealed, sealedMs: Number(found.sealed_ms), valid: Boolean(Number(found.valid)), fingerprint: found.counted }
}

/** Computations a load's requests share while they run, one set per storage (a process may open several). */
function sharedPerStorage<T>(): (storage: Storage) => (key: string, compute: () => Promise<T>) => Promise<T> {
  const of = new WeakMap<Storage, (key: string, compute: () => Promise<T>) => Promise<T>>()
  return (storage) => of.get(storage) ?? of.set(storage, sharedWhileRunning<T>()).get(storage)!
}

/** A load's requests ask at once: they share one look-up. */
const lookups = sharedPerStorage<Seal | undefined>()

/** The seal a query can read its settled days from, if there is a valid one. */
export function usableSeal(storage: Storage, q: StatsQuery): Promise<Seal | undefined> {
  const key = sealablePart(q)
  if (!key) return Promise.resolve(undefined)
  const id = JSON.stringify(key)
  return lookups(storage)(id, async () => {
    // The visits a seal left open are looked up beside it, once for the load's queries.
    const open = key.leavesOpen ? openVisits(storage, key.site, key.timeZone, key.from, addDays(key.through, 1)) : undefined
    const [found, left] = await Promise.all([newestSeal(storage, key), open])
    if (!found?.valid) return undefined
    const seal: Seal = { ...key, sealedAt: found.sealedAt, ...(left && { open: left }) }
    // Known until shortly after it would be made again, well before its rows' TTL can remove them.
    let known = knownOf.get(storage)
    if (!known) knownOf.set(storage, (known = new Map()))
    // Ranges move on with the days: forget the seals no longer known, with what was kept of them.
    for (const [other, entry] of known) if (Date.now() >= entry.until) known.delete(other)
    known.set(id, { seal, fingerprint: found.fingerprint, until: Math.min(Date.now() + KNOWN_FOR_MS, found.sealedMs + RESEAL_AFTER_MS), alone: new Map() })
    return seal
  })
}

/**
 * Seals found valid, by key, with what they counted: a later load starts its queries on one at once and
 * confirms it alongside (its events still count the same, its rows are still there), instead of looking
 * it up first, which put a query and the open visits' look-up before every other query of the load.
 */
const knownOf = new WeakMap<Storage, Map<string, Known>>()
interface Known {
  seal: Seal
  fingerprint: string
  until: number
  /** What loads made of the seal alone (`fromSealAlone`), by what it is. */
  alone: Map<string, Promise<unknown>>
}
const KNOWN_FOR_MS = 10 * 60_000
const confirmations = sharedPerStorage<boolean>()
const checksOf = new WeakMap<Storage, Batches>()
/** A query whose bound parameters are renamed with `suffix`, to share a batch with others (batch.ts). */
const named = (suffix: string, sql: string, params: Record<string, unknown>) => ({
  sql: sql.replace(/\{(\w+):/g, `{$1${suffix}:`),
  params: Object.fromEntries(Object.entries(params).map(([k, v]) => [`${k}${suffix}`, v])),
})

/**
 * `compute` on the seal a query can read (or none): on a known seal, confirmed while it runs, and again
 * on a seal looked up when that one is no longer valid (a late event, an erasure), the first result
 * then thrown away.
 */
export async function withSeal<T>(storage: Storage, q: StatsQuery, compute: (seal: Seal | undefined) => Promise<T>): Promise<T> {
  const key = sealablePart(q)
  if (!key) return compute(undefined)
  const id = JSON.stringify(key)
  const known = knownOf.get(storage)?.get(id)
  if (known && Date.now() < known.until) {
    const confirmation = confirmations(storage)(`${id}${known.seal.sealedAt}`, async () => {
      // A load confirms its range's seal and its previous period's together: one query.
      let checks = checksOf.get(storage)
      if (!checks) checksOf.set(storage, (checks = new Batches(storage, SETTINGS)))
      const [row] = await checks.run('seals', (suffix) => named(suffix, `SELECT count() AS n FROM cairn.range_rollups
        WHERE ${SEAL_ROWS} AND dimension = '#seal' AND fingerprint = {counted:UInt64} AND fingerprint = (${FINGERPRINT})`,
      { ...sealParams(known.seal), ...fingerprintParams(key), counted: known.fingerprint }))
      return Number(row?.n ?? 0) > 0
    })
    const [result, still] = await Promise.all([compute(known.seal), confirmation.catch(() => false)])
    if (still) return result
    if (knownOf.get(storage)?.get(id) === known) knownOf.get(storage)!.delete(id)
  }
  return compute(await usableSeal(storage, q))
}

/**
 * `compute`'s result for a query that reads a known seal alone, without events beside it (the previous
 * period's cards and graph, last month's): kept with the seal, whose rows never change, for the loads
 * after it, which still confirm the seal (withSeal) and drop it with the seal when it fails. `what`
 * names everything but the seal that the result depends on.
 */
export function fromSealAlone<T>(storage: Storage, seal: Seal, what: string, compute: () => Promise<T>): Promise<T> {
  const known = [...(knownOf.get(storage)?.values() ?? [])].find((k) => k.seal === seal)
  if (!known) return compute()
  let result = known.alone.get(what) as Promise<T> | undefined
  if (!result) {
    known.alone.set(what, (result = compute()))
    result.catch(() => known.alone.delete(what))
  }
  return result
}

/** The bound parameters that pick a seal's rows (named apart from the raw part's). */
export const sealParams = (seal: Seal) => ({ site: seal.site, seal_from: seal.from, seal_through: seal.through, sealed_at: seal.sealedAt })
export const SEAL_ROWS = 'site = {site:String} AND from_day = {seal_from:Date} AND through_day = {seal_through:Date} AND sealed_at = {sealed_at:DateTime64(3)}'

/**
 * Seals [from, through]: its cards, its graph's buckets (by day and by month, whichever a range ending on
 * or after it may draw) and every breakdown's rows, then the '#seal' row that makes them readable.
 */
export async function sealRange(storage: Storage, key: SealKey, onProgress?: (done: number, total: number) => void): Promise<Seal> {
  // The fingerprint first: events that arrive while sealing then make the seal unreadable, never wrong.
  const [{ n }] = (await rows<{ n: string }>(storage, FINGERPRINT.replace('SELECT sum(events)', 'SELECT sum(events) AS n'), fingerprintParams(key))) as [{ n: string }]
  // The real time, not the reports' clock: the rows' TTL counts from it.
  const sealedAt = new Date().toISOString().replace('T', ' ').replace('Z', '')
  const seal: Seal = { ...key, sealedAt }
  const days = daysBetween(key.from, key.through)
  const range = (interval: DateRange['interval']): DateRange => ({ period: 'custom', from: key.from, to: key.through, interval })
  const q = (interval: DateRange['interval'] = 'day'): StatsQuery => ({ site: key.site, timeZone: key.timeZone, range: range(interval), filters: {}, leaveOpen: key.leavesOpen })
  const head = `INSERT INTO cairn.range_rollups (site, from_day, through_day, sealed_at, fingerprint, dimension, value, `
  const fixed = `{site:String}, {seal_from:Date}, {seal_through:Date}, {sealed_at:DateTime64(3)}, {fingerprint:UInt64}`
  const params = { ...sealParams(seal), fingerprint: n }
  const statements: { sql: string; params: Record<string, unknown> }[] = []
  const ofEvents = (query: StatsQuery, dimension: string, value: string, columns: string, select: string, where = '') => {
    const { where: inRange, params: rangeParams } = scope(query)
    statements.push({
      sql: `${head}${columns}) SELECT ${fixed}, {dimension:String}, ${value} AS v, ${select}
            FROM cairn.events WHERE ${inRange}${where ? ` AND ${where}` : ''} GROUP BY v`,
      params: { ...rangeParams, ...params, dimension },
    })
  }
  const ofVisits = (query: StatsQuery, dimension: string, value: string, columns: string, select: string, visitColumns: string[] = [], where = '') => {
    const { params: rangeParams } = scope(query)
    statements.push({
      sql: `${head}${columns}) SELECT ${fixed}, {dimension:String}, ${value} AS v, ${select}
            FROM ${visits(query, visitColumns)} WHERE 1${where ? ` AND ${where}` : ''} GROUP BY v
            SETTINGS do_not_merge_across_partitions_select_final = 1`,
      params: { ...rangeParams, ...params, dimension },
    })
  }
  // A distinct count's state, kept only where a load may merge it with the last days' events: none in a
  // seal of a whole range, none for a day (a day is never split), only the last month's among the months.
  // With each state, its own estimate, from which a load measures what the days after the seal add.
  const state = (column: string, keep: string) => {
    const kept = key.merges ? keep : 'false'
    return `${STATE.replace('(', 'StateIf(')}(${column}, ${kept}), ${STATE.replace('(', 'If(')}(${column}, ${kept})`
  }
  const CARD_EVENTS = 'visitors, visitors_estimate, visitors_exact, downloaders, downloaders_estimate, downloaders_exact, pageviews, downloads, events'
  const cardEvents = (keep: string) => `${state('visitor_id', keep)}, uniqExact(visitor_id), ${state('visitor_id', `name = 'download' AND ${keep}`)},
    uniqExactIf(visitor_id, name = 'download'), countIf(name = 'pageview'), countIf(name = 'download'), countIf(name != 'pageview')`
  const CARD_VISITS = 'visits, bounces, duration'
  const cardVisits = 'count(), sum(is_bounce), sum(duration)'
  ofEvents(q(), '', "''", CARD_EVENTS, cardEvents('true'))
  ofVisits(q(), '', "''", CARD_VISITS, cardVisits)
  // A range ending on `through` or up to two days later draws days up to 92 days long, months past that.
  const intervals: DateRange['interval'][] = [...(days <= 92 ? ['day' as const] : []), ...(days + 2 > 92 ? ['month' as const] : [])]
  for (const interval of intervals) {
    const keep = interval === 'month' ? `v = '${key.through.slice(0, 8)}01'` : 'false'
    ofEvents(q(interval), interval, bucketOf(q(interval), 'timestamp'), CARD_EVENTS, cardEvents(keep))
    ofVisits(q(interval), interval, bucketOf(q(interval), 'start'), CARD_VISITS, cardVisits)
  }
  for (const name of BREAKDOWN_NAMES) {
    const { column, breakdown } = DIMENSION[name as DimensionName] as Dimension & { breakdown: NonNullable<Dimension['breakdown']> }
    if (breakdown.from === 'events') {
      // Distinct visits only where the breakdown shows them (versions), not for pages or events.
      const visits = (breakdown.metrics as readonly string[]).includes('visits')
      ofEvents(q(), name, `toString(${column})`, 'visitors, visitors_estimate, visitors_exact, sessions, sessions_estimate, sessions_exact, rows',
        `${state('visitor_id', 'true')}, uniqExact(visitor_id), ${state('session_id', visits ? 'true' : 'false')}, ${visits ? 'uniqExact(session_id)' : '0'}, count()`, breakdown.where)
    } else {
      ofVisits(q(), name, `toString(${column})`, 'visitors, visitors_estimate, visitors_exact, visits, bounces',
        `${state('toUInt64(visitor_id)', 'true')}, uniqExact(visitor_id), count(), sum(is_bounce)`, [column], breakdown.where)
    }
  }
  statements.push({ sql: `${head}rows) VALUES (${fixed}, '#seal', {tz:String}, {kind:UInt64})`, params: { ...params, tz: key.timeZone, kind: kindOf(key) } })
  for (const [i, { sql, params }] of statements.entries()) {
    await storage.command({ query: sql, query_params: params })
    onProgress?.(i + 1, statements.length)
  }
  // Loads of this process read the new seal from now on (another process's, once it has looked again).
  for (const [id, known] of knownOf.get(storage) ?? []) if (known.seal.site === key.site) knownOf.get(storage)!.delete(id)
  return seal
}

/** The ranges the sealer keeps sealed for a site on its local day `today`: each standard period's and the one before. */
export function wantedSeals(site: string, timeZone: string, today: string): SealKey[] {
  const wanted = new Map<string, SealKey>()
  for (const period of SEALED_PERIODS) {
    const range = resolveRange(period, today)
    for (const r of [range, previousRange(range)]) {
      const key = sealablePart({ site, timeZone, range: r, filters: {}, today })
      if (!key) continue
      // A range and another that goes on past it can share days: the seal that merges serves both.
      const id = `${key.from}/${key.through}/${key.leavesOpen}`
      if (!wanted.get(id)?.merges) wanted.set(id, key)
    }
  }
  return [...wanted.values()]
}

export interface SealOptions {
  /** A line now and then: which range, how far, how long it took. */
  log?: (line: string) => void
  /** Seal again even what is valid (a rebuild after a change of definition). */
  force?: boolean
  /** Ranges done of the ranges to look at. */
  onProgress?: (done: number, total: number) => void
}

/**
 * Seals what is wanted and missing, stale (its events changed) or old, one range at a time. Returns the
 * ranges it sealed.
 */
export async function sealWanted(storage: Storage, sites: { site: string; timeZone: string }[], nowMs: number, options: SealOptions = {}): Promise<SealKey[]> {
  const { log, force = false, onProgress } = options
  const wanted = sites.flatMap(({ site, timeZone }) => wantedSeals(site, timeZone, localDate(nowMs, timeZone)))
  const sealed: SealKey[] = []
  onProgress?.(0, wanted.length)
  for (const [i, key] of wanted.entries()) {
    const newest = await newestSeal(storage, key)
    const current = !force && newest?.valid && Date.now() - newest.sealedMs < RESEAL_AFTER_MS
    // Days without events read as fast from the events: nothing to seal.
    if (!current && (await hasEvents(storage, key))) {
      const started = Date.now()
      let said = started
      await sealRange(storage, key, (done, total) => {
        // A line every 5 s at most: a year of a big site takes tens of seconds.
        if (log && done < total && Date.now() - said > 5_000) {
          said = Date.now()
          log(`rollups: sealing ${key.site} ${key.from} … ${key.through}: ${done}/${total} queries`)
        }
      })
      log?.(`rollups: sealed ${key.site} ${key.from} … ${key.through} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      sealed.push(key)
    }
    onProgress?.(i + 1, wanted.length)
  }
  return sealed
}

/** Keeps the sites' wanted seals made, checking every `intervalMs`; a failure is logged and retried. */
export class Sealer {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> = Promise.resolve()
  private busy = false

  constructor(private readonly options: { storage: Storage; sites: () => { site: string; timeZone: string }[]; now: () => number; log: { info(line: string): void; error(line: string): void }; intervalMs?: number }) {}

  /** One pass now (also what the timer runs). */
  tick(): Promise<unknown> {
    if (this.busy) return this.running
    this.busy = true
    this.running = sealWanted(this.options.storage, this.options.sites(), this.options.now(), { log: (line) => this.options.log.info(line) })
      .catch((error: Error) => this.options.log.error(`rollups: sealing failed, will retry: ${error.message}`))
      .finally(() => (this.busy = false))
    return this.running
  }

  start(): void {
    void this.tick()
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 10 * 60_000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }
}

