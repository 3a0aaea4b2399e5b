/**
 * Ingest to visible: the time from an event's 202 to the stats API counting it, idle and under a steady
 * background load. Each probe is a pageview of a page no one else visits; the aggregate for that page
 * is asked every 20 ms until it shows the pageview. Target ≤ 2 s.
 *
 *   tsx bench/ingest-to-visible.ts [probes]
 */
import autocannon from 'autocannon'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareDataDir, startCairn } from './cairn-process.ts'
import { SITES, USER_AGENTS, eventRequests } from './traffic.ts'

const PROBES = Number(process.argv[2] ?? 20)
const BACKGROUND_RATE = 2000
const SITE = SITES[0]!

const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-visible-'))
const key = await prepareDataDir(dataDir)
const cairn = await startCairn(dataDir, { CAIRN_SITES: SITES.join(','), TRUST_PROXY: '1' })

let probe = 0
async function visibleAfter(): Promise<number> {
  const page = `/probe/${probe++}`
  const response = await fetch(`${cairn.url}/api/event`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': USER_AGENTS[0]!, 'x-forwarded-for': `192.0.2.${probe % 250}` },
    body: JSON.stringify({ n: 'pageview', u: `https://${SITE}${page}`, d: SITE }),
  })
  if (response.status !== 202) throw new Error(`probe answered ${response.status}`)
  const acknowledged = performance.now()
  const url = `${cairn.url}/api/stats/${SITE}/aggregate?period=today&page=${encodeURIComponent(page)}`
  for (;;) {
    const stats = (await (await fetch(url, { headers: { authorization: `Bearer ${key}` } })).json()) as { results: { pageviews: number } }
    if (stats.results.pageviews === 1) return performance.now() - acknowledged
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function measure(): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < PROBES; i++) {
    times.push(await visibleAfter())
    await new Promise((r) => setTimeout(r, Math.random() * 500)) // probes land anywhere in the writer's 1 s cycle
  }
  return times.sort((a, b) => a - b)
}

const idle = await measure()
let backgroundDone: () => void = () => {}
const finished = new Promise<void>((resolve) => (backgroundDone = resolve))
const background = autocannon({ url: cairn.url, connections: 10, overallRate: BACKGROUND_RATE, duration: 600, requests: eventRequests(5000, 3) }, () => backgroundDone())
const loaded = await measure()
background.stop()
await finished
await cairn.stop()
rmSync(dataDir, { recursive: true, force: true })

const line = (name: string, t: number[]) =>
  `  ${name.padEnd(28)} median ${(t[Math.floor(t.length / 2)]! / 1000).toFixed(2)} s   max ${(t.at(-1)! / 1000).toFixed(2)} s   (target ≤ 2 s)`
console.log(`ingest to visible: ${PROBES} probes each, 202 → counted by GET /api/stats/…/aggregate`)
console.log(line('idle', idle))
console.log(line(`under ${BACKGROUND_RATE} events/s`, loaded))
