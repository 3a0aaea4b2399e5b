/**
 * Dashboard load: every stats request one dashboard load makes for 30 days (cards and graph with the
 * previous period, the six first panel tabs, consent, recent visits, realtime), issued together as the
 * browser does, over HTTP to `cairn serve` running in its own process on the embedded engine with 10 M
 * demo events. Prints median and p95 of the whole load next to one `SELECT count()` over the same rows,
 * the floor, timed the same way in the same process.
 *
 *   npm run bench                      # all benchmarks
 *   tsx bench/dashboard.ts [events]    # this one; the data set is generated once into bench/.data/
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { Access } from '../dashboard/server/auth/access.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { openStorage } from '../sql/client.ts'
import { migrate } from '../sql/migrate.ts'
import { newGoalId, readGoals, saveGoal, type Goal } from '../sql/goals.ts'
import { startCairn } from './cairn-process.ts'

const SITE = 'bench.example'
const EVENTS = Number(process.argv[2] ?? 10_000_000)
const dataDir = fileURLToPath(new URL(`./.data/dashboard-${EVENTS >= 1e6 ? `${EVENTS / 1e6}m` : EVENTS}/`, import.meta.url))
const RUNS = 20

// 1. The data set (generated once), and an API key, with the engine in this process.
const fresh = !existsSync(dataDir)
let storage = openStorage({ dataDir })
await migrate(storage)
const count = async (where: string) =>
  Number((await (await storage.query({ query: `SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND ${where}`, query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n)
if (fresh || (await count('1')) < EVENTS) {
  const started = Date.now()
  await generateDemo(storage, {
    site: SITE, events: EVENTS, days: 365, seed: 1,
    onProgress: (done, total) => process.stderr.write(`\rgenerating ${done.toLocaleString('en')}/${total.toLocaleString('en')} demo events`),
  })
  process.stderr.write(` in ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
  // A freshly generated year sits in parts ClickHouse has not merged yet; a live server's older months
  // are merged by its background merges. Measure that steady state, not the moment after a bulk load.
  process.stderr.write('merging parts as background merges would… ')
  await storage.command({ query: 'OPTIMIZE TABLE cairn.events FINAL' })
  await storage.command({ query: 'OPTIMIZE TABLE cairn.sessions_data FINAL' })
  process.stderr.write('done\n')
}
const access = new Access(storage)
await addUser(access, 'bench@example.com', 'bench password', 'viewer', SITE)
const key = await access.createApiKey('bench@example.com', 'bench')
// Goals for the conversions and the funnel: the pricing page, then a signup, then a demo request.
const GOALS: Omit<Goal, 'id'>[] = [
  { name: 'Pricing', kind: 'page', eventName: '', propKey: '', propValue: '', pattern: '/pricing', threshold: 0 },
  { name: 'Signup', kind: 'event', eventName: 'Signup', propKey: '', propValue: '', pattern: '', threshold: 0 },
  { name: 'Demo', kind: 'event', eventName: 'Demo Request', propKey: '', propValue: '', pattern: '', threshold: 0 },
]
if ((await readGoals(storage, SITE)).length === 0) for (const goal of GOALS) await saveGoal(storage, SITE, { id: newGoalId(), ...goal })
const steps = (await readGoals(storage, SITE)).slice(0, 3).map((g) => g.id).join(',')
const inRange = 'timestamp >= now() - INTERVAL 30 DAY'
const rows = await count(inRange)
const total = await count('1')
// Bytes on disk per event of the data set, every table included (the bench data holds only this site).
const onDisk = async (table: string) =>
  Number((await (await storage.query({ query: `SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE database = 'cairn' AND table = '${table}' AND active`, format: 'JSONEachRow' })).json<{ b: string }>())[0]!.b)
const [eventBytes, visitBytes] = [await onDisk('events'), await onDisk('sessions_data')]
await storage.close()

// 2. The server, as `npm start` runs it.
const server = await startCairn(dataDir, { CAIRN_SITES: SITE })
const url = server.url

const q = 'period=30d'
const LOAD = [
  `aggregate?${q}&compare=previous`, `timeseries?${q}&compare=previous`,
  `breakdown/source?${q}&limit=10`, `breakdown/page?${q}&limit=10&sort=visitors:desc`, `breakdown/download?${q}&limit=10`,
  `breakdown/country?${q}&limit=10`, `breakdown/browser?${q}&limit=10`, `breakdown/event?${q}&limit=10`,
  `breakdown/consent?${q}&sort=visits:desc`, `sessions?${q}&limit=10`, 'realtime',
].map((path) => `${url}/api/stats/${SITE}/${path}`)

async function timed(run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await run() // warm caches, as a second visit would
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    await run()
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)
}
const median = (t: number[]) => t[Math.floor(t.length / 2)]!
const p95 = (t: number[]) => t[Math.min(t.length - 1, Math.ceil(t.length * 0.95) - 1)]!
const get = async (target: string) => {
  const response = await fetch(target, { headers: { authorization: `Bearer ${key}` } })
  if (!response.ok) throw new Error(`${target}: ${response.status} ${await response.text()}`)
  return response.arrayBuffer()
}

// The plain load, and the same load with a goal filter set, as the dashboard asks for it when a goal is
// clicked. They run in turns (plain then goal, then goal then plain, …) so that both see the machine in
// the same state; the ratio is the median of each turn's ratio.
const pricing = steps.split(',')[0]!
// With a goal, breakdowns sort by their own metrics (converted visitors), so the plain load's sort goes.
const withGoal = (target: string) => (target.includes('?') ? `${target.replace(/&sort=[^&]*/, '')}&goal=${pricing}` : target)
const plainLoad = () => Promise.all(LOAD.map(get))
const goalLoad = () => Promise.all(LOAD.map((target) => get(withGoal(target))))
const loadTimes: number[] = []
const goalLoadTimes: number[] = []
const goalRatios: number[] = []
// Warm caches, as a second visit would.
for (let i = 0; i < 3; i++) {
  await plainLoad()
  await goalLoad()
}
for (let i = 0; i < RUNS; i++) {
  const turn: Record<string, number> = {}
  for (const [name, load] of i % 2 ? ([['goal', goalLoad], ['plain', plainLoad]] as const) : ([['plain', plainLoad], ['goal', goalLoad]] as const)) {
    const t = performance.now()
    await load()
    turn[name] = performance.now() - t
  }
  loadTimes.push(turn.plain!)
  goalLoadTimes.push(turn.goal!)
  goalRatios.push(turn.goal! / turn.plain!)
}
for (const times of [loadTimes, goalLoadTimes, goalRatios]) times.sort((a, b) => a - b)
const goalTimes = await timed(() => get(`${url}/api/stats/${SITE}/goals?${q}`))
const funnelTimes = await timed(() => get(`${url}/api/stats/${SITE}/funnel?${q}&steps=${steps}`))
// The floor: one count() over the same rows, through the same server and the same door as the load.
const floorTimes = await timed(() => get(`${url}/api/stats/${SITE}/realtime`))
await server.stop()

storage = openStorage({ dataDir })
const floorSql = await (async () => {
  const times: number[] = []
  for (let i = 0; i < RUNS + 3; i++) {
    const t = performance.now()
    await count(inRange)
    if (i >= 3) times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)
})()
await storage.close()

console.log(`dashboard load, 30 days of ${SITE}: ${rows.toLocaleString('en')} of ${total.toLocaleString('en')} events, ${LOAD.length} requests`)
console.log(`  whole load              median ${median(loadTimes).toFixed(1)} ms   p95 ${p95(loadTimes).toFixed(1)} ms   (target: median ≤ 250 ms)`)
console.log(`  SELECT count() (floor)  median ${median(floorSql).toFixed(1)} ms   p95 ${p95(floorSql).toFixed(1)} ms`)
console.log(`  one small API request   median ${median(floorTimes).toFixed(1)} ms   (realtime: HTTP + auth + a tiny query)`)
console.log(`  load / floor            ${(median(loadTimes) / median(floorSql)).toFixed(1)}x`)
console.log(`  load with a goal filter median ${median(goalLoadTimes).toFixed(1)} ms   p95 ${p95(goalLoadTimes).toFixed(1)} ms   (${median(goalRatios).toFixed(2)}x the load, median of ${RUNS} turns; target ≤ 1.5x)`)
console.log(`  goals panel (3 goals)   median ${median(goalTimes).toFixed(1)} ms   p95 ${p95(goalTimes).toFixed(1)} ms`)
console.log(`  storage                 ${((eventBytes + visitBytes) / total).toFixed(1)} B per event (events ${(eventBytes / total).toFixed(1)}, visits ${(visitBytes / total).toFixed(1)}; target ≤ 25)`)
console.log(`  3-step funnel, 30 days  median ${median(funnelTimes).toFixed(1)} ms   p95 ${p95(funnelTimes).toFixed(1)} ms   (target: median ≤ 500 ms)`)
