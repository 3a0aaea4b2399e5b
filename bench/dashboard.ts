/**
 * Dashboard load: every stats request one dashboard load makes (cards and graph with the previous period,
 * the six first panel tabs, consent, recent visits, realtime), issued together as the browser does, over
 * HTTP to `cairn serve` running in its own process on the embedded engine. The table: two data sets
 * (10 M and 100 M demo events over a year) × two periods (the last 30 days, the last 12 months), each
 * load's median and p95 next to one `SELECT count()` over the same rows (the floor, timed the same way in
 * the same process), the server's peak memory and the bytes on disk per event. On the 10 M set, also the
 * load with a goal filter, the goals panel and a funnel.
 *
 *   npm run bench                      # all benchmarks
 *   tsx bench/dashboard.ts [--quick]   # this one; --quick leaves the 100 M set out
 *
 * Each data set is generated once into bench/.data/ and reused; a set made on an earlier day is topped up
 * with the days since, at the same daily rate, so that the periods (`30d` and `12mo`, ending today, as
 * marketing opens them) read a year of live data. The rollups of their settled days are sealed before the
 * server starts, as its sealer would have done overnight (the time it takes is printed), and each load is
 * also measured with `exact=true`, which reads the events alone.
 */
import { fileURLToPath } from 'node:url'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { Access } from '../dashboard/server/auth/access.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { openStorage, type Storage } from '../sql/client.ts'
import { migrate } from '../sql/migrate.ts'
import { sealWanted } from '../dashboard/server/rollups.ts'
import { resolveRange } from '../dashboard/server/range.ts'
import { newGoalId, readGoals, saveGoal, type Goal } from '../sql/goals.ts'
import { startCairn } from './cairn-process.ts'

const SITE = 'bench.example'
const quick = process.argv.includes('--quick')
const SETS = quick ? [10_000_000] : [10_000_000, 100_000_000]
/** Issue 16's targets: whole load median, ms. */
const TARGET: Record<number, Record<string, number>> = { 10_000_000: { '30d': 150, '12mo': 300 }, 100_000_000: { '30d': 300, '12mo': 800 } }

const median = (t: number[]) => t[Math.floor(t.length / 2)]!
const p95 = (t: number[]) => t[Math.min(t.length - 1, Math.ceil(t.length * 0.95) - 1)]!
const ms = (n: number) => `${n.toFixed(0).padStart(5)} ms`

async function timed(run: () => Promise<unknown>, runs: number): Promise<number[]> {
  for (let i = 0; i < 3; i++) await run() // warm caches, as a second visit would
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await run()
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
/** The two periods, ending today (the bench site's zone is UTC). */
const periodsEndingOn = (today: string) => ({ '30d': resolveRange('30d', today), '12mo': resolveRange('12mo', today) })
/** More range lengths for docs/scaling.md's curve (events in range → load time). */
const curveEndingOn = (last: string) => Object.fromEntries([7, 90, 180].map((days) => [`${days}d`, { from: addDays(last, -(days - 1)), to: last }]))

// Goals for the conversions and the funnel: the pricing page, then a signup, then a demo request.
const GOALS: Omit<Goal, 'id'>[] = [
  { name: 'Pricing', kind: 'page', eventName: '', propKey: '', propValue: '', pattern: '/pricing', threshold: 0 },
  { name: 'Signup', kind: 'event', eventName: 'Signup', propKey: '', propValue: '', pattern: '', threshold: 0 },
  { name: 'Demo', kind: 'event', eventName: 'Demo Request', propKey: '', propValue: '', pattern: '', threshold: 0 },
]

const count = async (storage: Storage, where: string) =>
  Number((await (await storage.query({ query: `SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND ${where}`, query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n)
const inRange = (r: { from: string; to: string }) => `timestamp >= toDateTime64('${r.from} 00:00:00', 3, 'UTC') AND timestamp < toDateTime64('${addDays(r.to, 1)} 00:00:00', 3, 'UTC')`

/** The data set (generated once), an API key, the goals; what the table needs to know about the rows. */
async function prepare(events: number, dataDir: string) {
  const storage = openStorage({ dataDir })
  try {
    await migrate(storage, (line) => process.stderr.write(`${line}\n`))
    if ((await count(storage, '1')) < events) {
      const started = Date.now()
      await generateDemo(storage, {
        site: SITE, events, days: 365, seed: 1,
        onProgress: (done, total) => process.stderr.write(`\rgenerating ${done.toLocaleString('en')}/${total.toLocaleString('en')} demo events`),
      })
      process.stderr.write(` in ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
      // A freshly generated year sits in parts ClickHouse has not merged yet; a live server's older months
      // are merged by its background merges. Measure that steady state, not the moment after a bulk load.
      process.stderr.write('merging parts as background merges would… ')
      for (const table of ['events', 'sessions_data']) await storage.command({ query: `OPTIMIZE TABLE cairn.${table} FINAL` })
      process.stderr.write('done\n')
    }
    // Topped up to now at the set's daily rate, as if the site had gone on counting since it was made.
    const [{ lastMs }] = (await (await storage.query({ query: 'SELECT toUnixTimestamp64Milli(max(timestamp)) AS lastMs FROM cairn.events WHERE site = {site:String}', query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ lastMs: string }>()) as [{ lastMs: string }]
    const gapDays = (Date.now() - Number(lastMs)) / 86_400_000
    if (gapDays > 1 / 24) {
      const more = Math.round((events / 365) * gapDays)
      await generateDemo(storage, { site: SITE, events: more, days: gapDays, endMs: Date.now(), seed: Math.floor(Number(lastMs) / 1000) })
      process.stderr.write(`topped up with ${more.toLocaleString('en')} events for the ${gapDays.toFixed(1)} days since the set was made\n`)
    }
    const sealStarted = Date.now()
    const sealed = await sealWanted(storage, [{ site: SITE, timeZone: 'UTC' }], Date.now(), { log: (line) => process.stderr.write(`${line}\n`) })
    const sealSeconds = sealed.length ? (Date.now() - sealStarted) / 1000 : undefined
    const access = new Access(storage)
    await addUser(access, 'bench@example.com', 'bench password', 'viewer', SITE)
    const key = await access.createApiKey('bench@example.com', 'bench')
    if ((await readGoals(storage, SITE)).length === 0) for (const goal of GOALS) await saveGoal(storage, SITE, { id: newGoalId(), ...goal })
    const steps = (await readGoals(storage, SITE)).slice(0, 3).map((g) => g.id).join(',')
    const last = new Date().toISOString().slice(0, 10)
    const periods = periodsEndingOn(last)
    const total = await count(storage, '1')
    const rows = { '30d': await count(storage, inRange(periods['30d'])), '12mo': await count(storage, inRange(periods['12mo'])) }
    // Counted here: while the server runs, it alone holds the data directory.
    const curve = await Promise.all(Object.values(curveEndingOn(last)).map(async (range) => ({ range, events: await count(storage, inRange(range)) })))
    // Bytes on disk per event, every table included (a bench data set holds only this site).
    const [{ bytes }] = (await (await storage.query({ query: "SELECT sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = 'cairn' AND active", format: 'JSONEachRow' })).json<{ bytes: string }>()) as [{ bytes: string }]
    const [{ eventBytes }] = (await (await storage.query({ query: "SELECT sum(bytes_on_disk) AS eventBytes FROM system.parts WHERE database = 'cairn' AND table = 'events' AND active", format: 'JSONEachRow' })).json<{ eventBytes: string }>()) as [{ eventBytes: string }]
    return { key, steps, periods, curve, total, rows, bytesPerEvent: Number(bytes) / total, eventBytesPerEvent: Number(eventBytes) / total, sealSeconds, sealedRanges: sealed.length }
  } finally {
    await storage.close()
  }
}

/** The floor of each period: SELECT count() over its rows, in this process with the server stopped. */
async function floors(dataDir: string, periods: ReturnType<typeof periodsEndingOn>, runs: number) {
  const storage = openStorage({ dataDir })
  try {
    const out: Record<string, number[]> = {}
    for (const [name, range] of Object.entries(periods)) out[name] = await timed(() => count(storage, inRange(range)), runs)
    return out
  } finally {
    await storage.close()
  }
}

const lines: string[] = []
const say = (line: string) => {
  lines.push(line)
  console.log(line)
}

for (const events of SETS) {
  const label = `${events / 1e6}m`
  const dataDir = fileURLToPath(new URL(`./.data/dashboard-${label}/`, import.meta.url))
  const data = await prepare(events, dataDir)
  const runs = events > 10_000_000 ? 10 : 20
  const server = await startCairn(dataDir, { CAIRN_SITES: SITE })
  const get = async (target: string) => {
    const response = await fetch(`${server.url}/api/stats/${SITE}/${target}`, { headers: { authorization: `Bearer ${data.key}` } })
    if (!response.ok) throw new Error(`${target}: ${response.status} ${await response.text()}`)
    return response.arrayBuffer()
  }
  /** A load's requests; `q` picks the range (and `exact=true`). */
  const loadOf = (q: string) => {
    return [
      `aggregate?${q}&compare=previous`, `timeseries?${q}&compare=previous`,
      `breakdown/source?${q}&limit=10`, `breakdown/page?${q}&limit=10&sort=visitors:desc`, `breakdown/download?${q}&limit=10`,
      `breakdown/country?${q}&limit=10`, `breakdown/browser?${q}&limit=10`, `breakdown/event?${q}&limit=10`,
      `breakdown/consent?${q}&sort=visits:desc`, `sessions?${q}&limit=10`, 'realtime',
    ]
  }
  const loads: Record<string, number[]> = {}
  const exactLoads: Record<string, number[]> = {}
  for (const name of Object.keys(data.periods)) loads[name] = await timed(() => Promise.all(loadOf(`period=${name}`).map(get)), runs)
  // The peak so far is the dashboard's as people open it; exact figures over a year cost more.
  const peakRollups = server.peakRssMiB()
  for (const name of Object.keys(data.periods)) exactLoads[name] = await timed(() => Promise.all(loadOf(`period=${name}&exact=true`).map(get)), runs)
  const custom = (range: { from: string; to: string }) => `period=custom&from=${range.from}&to=${range.to}&exact=true`
  const curve: [number, number][] = []
  if (!quick) {
    for (const { range, events } of data.curve) curve.push([events, median(await timed(() => Promise.all(loadOf(custom(range)).map(get)), Math.min(runs, 10)))])
    for (const name of ['30d', '12mo'] as const) curve.push([data.rows[name], median(exactLoads[name]!)])
  }

  // On the 10 M set: the plain load and the same load with a goal filter, as the dashboard asks for it when
  // a goal is clicked, in turns (plain then goal, then goal then plain, …) so that both see the machine in
  // the same state; the ratio is the median of each turn's ratio. Then the goals panel and a funnel.
  let extra: string[] = []
  if (events === SETS[0]) {
    // Against the exact load: a goal filter reads the events, as the load without rollups does.
    const load = loadOf(custom(data.periods['30d']))
    const pricing = data.steps.split(',')[0]!
    // With a goal, breakdowns sort by their own metrics (converted visitors), so the plain load's sort goes.
    const withGoal = (target: string) => (target.includes('?') ? `${target.replace(/&sort=[^&]*/, '')}&goal=${pricing}` : target)
    const ratios: number[] = []
    const goalTimes: number[] = []
    for (let i = 0; i < runs + 2; i++) {
      const turn: Record<string, number> = {}
      for (const name of i % 2 ? ['goal', 'plain'] : ['plain', 'goal']) {
        const t = performance.now()
        await Promise.all(load.map((target) => get(name === 'goal' ? withGoal(target) : target)))
        turn[name] = performance.now() - t
      }
      if (i < 2) continue // warming
      goalTimes.push(turn.goal!)
      ratios.push(turn.goal! / turn.plain!)
    }
    for (const times of [ratios, goalTimes]) times.sort((a, b) => a - b)
    const q = `period=custom&from=${data.periods['30d'].from}&to=${data.periods['30d'].to}`
    const goalsPanel = await timed(() => get(`goals?${q}`), runs)
    const funnel = await timed(() => get(`funnel?${q}&steps=${data.steps}`), runs)
    extra = [
      `  30 days with a goal filter  median ${ms(median(goalTimes))}   ${median(ratios).toFixed(2)}× the plain load (median of ${runs} turns; target ≤ 1.5×)`,
      `  goals panel (3 goals)       median ${ms(median(goalsPanel))}   p95 ${ms(p95(goalsPanel))}`,
      `  3-step funnel, 30 days      median ${ms(median(funnel))}   p95 ${ms(p95(funnel))}   (target ≤ 500 ms)`,
    ]
  }
  const realtime = await timed(() => get('realtime'), runs)
  const peak = server.peakRssMiB()
  await server.stop()
  const floor = await floors(dataDir, data.periods, runs)

  say(`dashboard load, ${label} events of ${SITE} over a year (${data.total.toLocaleString('en')} rows), ${loadOf('').length} requests a load, periods ending today`)
  for (const name of ['30d', '12mo'] as const) {
    const rows = data.rows[name].toLocaleString('en').padStart(12)
    say(`  ${name.padEnd(5)} ${rows} events   load median ${ms(median(loads[name]!))}  p95 ${ms(p95(loads[name]!))}   target ≤ ${TARGET[events]![name]} ms   floor (count) ${ms(median(floor[name]!))}   load/floor ${(median(loads[name]!) / median(floor[name]!)).toFixed(1)}×`)
    say(`        ${''.padStart(12)}  exact=true   median ${ms(median(exactLoads[name]!))}  p95 ${ms(p95(exactLoads[name]!))}   (the events alone, as before the rollups)`)
  }
  say(`  sealing the rollups (${data.sealedRanges} ranges: each period's settled days and the period before), done before the server starts: ${data.sealSeconds === undefined ? 'already sealed' : `${data.sealSeconds.toFixed(1)} s`}`)
  if (curve.length) say(`  curve (events in range → load median): ${curve.sort((a, b) => a[0] - b[0]).map(([n, t]) => `${(n / 1e6).toFixed(2)} M → ${t.toFixed(0)} ms`).join(', ')}`)
  say(`  one small API request (realtime)  median ${ms(median(realtime))}`)
  say(`  server peak RSS ${peakRollups.toFixed(0)} MiB through the loads as opened (target ≤ 1024), ${peak.toFixed(0)} MiB once exact=true, the curve and the goal filter have run too`)
  say(`  on disk ${data.bytesPerEvent.toFixed(1)} B per event, all tables (events ${data.eventBytesPerEvent.toFixed(1)}; target ≤ 25)`)
  for (const line of extra) say(line)
}
