/**
 * The spool's disk fills up: events that cannot be written get 503 (the tracker retries them), events
 * answered 202 are all in ClickHouse exactly once, nothing refused is stored, and the server stays up and
 * accepts again once written segments free the space. The disk is a 128 KiB tmpfs mounted over the
 * spool directory (needs root; skipped where mount is not allowed).
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, pageview, serverMode, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('diskfull')
let server: TestServer
let spoolDir = ''
let mounted = false

beforeAll(async () => {
  server = await TestServer.start({ sites: [site] })
  spoolDir = join(server.dataDir, 'spool')
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', spoolDir], { stdio: 'ignore' })
    mounted = true
  } catch {
    // not root, or no CAP_SYS_ADMIN: the test is skipped
  }
})
afterAll(async () => {
  await server.stop()
  if (mounted) execFileSync('umount', ['-l', spoolDir])
})

describe.skipIf(serverMode)('spool disk full', () => {
  it('refuses what it cannot write with 503, stores every 202 once, and recovers', async (context) => {
    if (!mounted) return context.skip()
    const statuses: number[] = []
    const paths = new Map<number, string>()
    // ~190 events fit; 600 arrive before the next flush frees anything.
    await Promise.all(
      Array.from({ length: 30 }, async (_, lane) => {
        for (let i = lane; i < 600; i += 30) {
          const response = await server.post(pageview(site, `/full/${i}`, { p: { filler: 'x'.repeat(300) } }))
          statuses[i] = response.status
          paths.set(i, `/full/${i}`)
          if (response.status === 503) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
        }
      }),
    )
    const accepted = statuses.flatMap((s, i) => (s === 202 ? [paths.get(i)!] : []))
    const refused = statuses.filter((s) => s === 503).length
    expect(accepted.length + refused).toBe(600)
    expect(accepted.length).toBeGreaterThan(50)
    expect(refused).toBeGreaterThan(50)

    await server.flush() // writes the batch and deletes its segment: the space is free again
    expect((await server.post(pageview(site, '/after'))).status).toBe(202)
    await server.flush()
    const rows = await server.rows<{ pathname: string }>("SELECT pathname FROM cairn.events WHERE site = {site:String} AND pathname LIKE '/full/%'", { site })
    expect(rows.map((r) => r.pathname).sort()).toEqual([...accepted].sort())
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    // Whatever is left in the spool is whole lines: a failed write leaves no partial line behind.
    for (const file of readdirSync(spoolDir)) {
      for (const line of readFileSync(join(spoolDir, file), 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow()
    }
  }, 60_000)
})
