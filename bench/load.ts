/**
 * Sustained ingest: 60 s at a fixed rate against `cairn serve`, then the check that matters — the
 * number of events in ClickHouse equals the number of 202s answered. Prints the rate achieved, latency,
 * peak RSS and how long the last events took to be written after the load stopped.
 *
 *   tsx bench/load.ts [events per second] [seconds]
 */
import autocannon from 'autocannon'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareDataDir, startCairn, sql } from './cairn-process.ts'
import { SITES, eventRequests } from './traffic.ts'

const RATE = Number(process.argv[2] ?? 2000)
const SECONDS = Number(process.argv[3] ?? 60)

const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-load-'))
const key = await prepareDataDir(dataDir)
const cairn = await startCairn(dataDir, { CAIRN_SITES: SITES.join(','), TRUST_PROXY: '1' })

process.stderr.write(`load: ${RATE}/s for ${SECONDS} s… `)
// `amount` rather than `duration`: the run ends when every request has its answer, so no 202 is left uncounted.
const result = await autocannon({ url: cairn.url, connections: 20, overallRate: RATE, amount: RATE * SECONDS, requests: eventRequests(5000, 2) })
const stoppedAt = performance.now()
process.stderr.write('done\n')

const count = async () => Number(await sql(cairn, key, `SELECT count() FROM cairn.events WHERE site IN (${SITES.map((s) => `'${s}'`).join(',')})`))
let rows = await count()
while (rows < result['2xx'] && performance.now() - stoppedAt < 30_000) {
  await new Promise((r) => setTimeout(r, 100))
  rows = await count()
}
const drained = (performance.now() - stoppedAt) / 1000
const metrics = await (await fetch(`${cairn.url}/metrics`)).text()
const loopDelayMs = (q: string) => Number(new RegExp(`^cairn_event_loop_delay_seconds\\{quantile="${q}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]) * 1000
// Rows carry no id, and autocannon's connections send the same requests (identical rows in the same ms
// are real events here): a duplicate shows as more rows than 202s. Replays could come only from a retry.
const failedWrites = Number(/^cairn_write_failures_total (\S+)$/m.exec(metrics)?.[1])
const rss = cairn.peakRssMiB()
await cairn.stop()
rmSync(dataDir, { recursive: true, force: true })

console.log(`load: ${(RATE * SECONDS).toLocaleString('en')} events at ${RATE}/s over ${SITES.length} sites`)
console.log(`  achieved               ${(result.requests.total / result.duration).toFixed(0)} req/s over ${result.duration.toFixed(1)} s`)
// autocannon's latency under overallRate includes the wait for its own rate limiter: the server's side is
// the event-loop delay every request waits through.
console.log(`  event-loop delay       p50 ${loopDelayMs('0.5').toFixed(1)} ms   p99 ${loopDelayMs('0.99').toFixed(1)} ms   max ${loopDelayMs('1').toFixed(1)} ms`)
console.log(`  answers                ${result['2xx'].toLocaleString('en')} × 202, ${result.non2xx} other, ${result.errors} errors, ${result.timeouts} timeouts`)
console.log(`  rows in ClickHouse     ${rows.toLocaleString('en')} (${rows === result['2xx'] ? 'equal to the 202s' : `MISMATCH: ${rows - result['2xx']}`}), ${failedWrites} failed writes retried`)
console.log(`  written ${drained.toFixed(1)} s after the last answer; peak RSS ${rss.toFixed(0)} MiB`)
if (rows !== result['2xx']) process.exitCode = 1
