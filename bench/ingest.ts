/**
 * Ingest throughput: autocannon on loopback against `POST /api/event` of `cairn serve` (embedded engine,
 * spool, everything on) with the mix of bench/traffic.ts, and in the same script the same load against a
 * bare `node:http` server that reads the body and answers 202: the ceiling of Node's HTTP on this machine.
 * Prints both throughputs, the ratio (target ≥ 0.60), p50/p99 latency and peak RSS.
 *
 *   tsx bench/ingest.ts [seconds per round]
 */
import autocannon, { type Result } from 'autocannon'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listening, peakRssMiB, prepareDataDir, startCairn, sql, stop } from './cairn-process.ts'
import { SITES, eventRequests } from './traffic.ts'

const SECONDS = Number(process.argv[2] ?? 10)
const ROUNDS = 2
const CONNECTIONS = 32
const requests = eventRequests(5000)

const BARE_SERVER = `
const server = require('node:http').createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => { Buffer.concat(chunks).toString(); res.statusCode = 202; res.end() })
})
server.listen(0, '127.0.0.1', () => console.error('listening on http://127.0.0.1:' + server.address().port))`

function load(url: string, seconds: number): Promise<Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: seconds, requests })
}

const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-ingest-'))
const key = await prepareDataDir(dataDir)
const cairn = await startCairn(dataDir, { CAIRN_SITES: SITES.join(','), TRUST_PROXY: '1' })
const bareChild = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'ignore', 'pipe'] })
const bare = await listening(bareChild)

// Warm both (JIT, the user-agent cache), then alternate so drift on the machine hits both alike.
await load(bare.url, 3)
await load(cairn.url, 3)
const results = { bare: [] as Result[], cairn: [] as Result[] }
for (let round = 0; round < ROUNDS; round++) {
  results.bare.push(await load(bare.url, SECONDS))
  results.cairn.push(await load(cairn.url, SECONDS))
}

const mean = (rs: Result[], f: (r: Result) => number) => rs.reduce((sum, r) => sum + f(r), 0) / rs.length
const summary = (rs: Result[]) => ({
  rps: mean(rs, (r) => r.requests.average),
  p50: mean(rs, (r) => r.latency.p50),
  p99: mean(rs, (r) => r.latency.p99),
  non2xx: rs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  ok: rs.reduce((n, r) => n + r['2xx'], 0),
})
const b = summary(results.bare)
const c = summary(results.cairn)
const cairnRss = cairn.peakRssMiB()
const bareRss = peakRssMiB(bareChild.pid!)

// What the 202s became: every one is a row once the queue is written (the warm-up's too).
await new Promise((r) => setTimeout(r, 2000))
const rows = Number(await sql(cairn, key, 'SELECT count() FROM cairn.events'))
await stop(bareChild)
await cairn.stop()
rmSync(dataDir, { recursive: true, force: true })

const row = (name: string, s: typeof b, rss: number) =>
  `  ${name.padEnd(22)} ${s.rps.toFixed(0).padStart(7)} req/s   p50 ${s.p50.toFixed(1).padStart(5)} ms   p99 ${s.p99.toFixed(1).padStart(5)} ms   peak RSS ${rss.toFixed(0)} MiB   non-2xx ${s.non2xx}`
console.log(`ingest: ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s each, ${requests.length} distinct requests over ${SITES.length} sites`)
console.log(row('bare node:http (202)', b, bareRss))
console.log(row('cairn /api/event', c, cairnRss))
console.log(`  ratio cairn / bare     ${(c.rps / b.rps).toFixed(2)}   (target ≥ 0.60)`)
console.log(`  rows written           ${rows.toLocaleString('en')} for ${c.ok.toLocaleString('en')} measured 202s (plus the warm-up's)`)
