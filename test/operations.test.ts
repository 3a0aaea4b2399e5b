/**
 * Running Cairn without downtime: while a server runs on the embedded engine, the `cairn` commands go
 * through its Unix socket, a site added there is counted within seconds, a user added there logs in at
 * once and reads only that site, a backup is taken — and no acknowledged event is lost meanwhile.
 */
import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SITES_REFRESH_MS, SiteList } from '../sql/sites.ts'
import { TestServer, pageview, tempDataDir, uniqueSite } from './helpers/server.ts'

const run = promisify(execFile)
const ROOT = new URL('..', import.meta.url).pathname
const SITE = uniqueSite('running')
const NEW = uniqueSite('new')
let server: TestServer
const cairn = (...args: string[]) =>
  run(process.execPath, ['collector/bin/cairn.js', ...args], { cwd: ROOT, env: { ...process.env, CAIRN_DATA_DIR: server.dataDir, CAIRN_SITES: SITE, LANG: 'C' } })

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE] })
})
afterAll(() => server?.stop())

/** Sends a pageview every few milliseconds until stopped; counts each 202 by its path. */
function sendThroughout(site: string) {
  const acknowledged: string[] = []
  const refused: number[] = []
  let stopped = false
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const response = await server.post(pageview(site, `/during/${i}`))
      if (response.status === 202) acknowledged.push(`/during/${i}`)
      else refused.push(response.status)
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  return {
    acknowledged,
    refused,
    async stop() {
      stopped = true
      await loop
    },
  }
}

describe('the cairn commands while the server runs', () => {
  it('add a site counted within seconds and a user who logs in at once, losing no event', async () => {
    const sender = sendThroughout(SITE)
    let backup: { dir: string; acknowledgedBefore: string[] }
    try {
      backup = await addSiteUserAndBackup(sender.acknowledged)
    } finally {
      await sender.stop()
    }
    await server.flush()
    expect(sender.refused).toEqual([])
    expect(sender.acknowledged.length).toBeGreaterThan(20)
    const stored = await server.rows<{ p: string }>('SELECT pathname AS p FROM cairn.events WHERE site = {site:String}', { site: SITE })
    expect(new Set(stored.map((r) => r.p))).toEqual(new Set(sender.acknowledged))
    expect(stored).toHaveLength(sender.acknowledged.length)

    // The backup, restored into an empty directory by `cairn restore`, holds every event acknowledged before it began.
    const restored = tempDataDir()
    const restoring = await run(process.execPath, ['collector/bin/cairn.js', 'restore', '--from', backup.dir], { cwd: ROOT, env: { ...process.env, CAIRN_DATA_DIR: restored, LANG: 'C' } })
    expect(restoring.stdout).toMatch(/restored \d+ tables/)
    const read = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/read-paths.ts', restored, SITE], { cwd: ROOT })
    const paths = new Set(JSON.parse(read.stdout) as string[])
    expect(backup.acknowledgedBefore.length).toBeGreaterThan(0)
    expect(backup.acknowledgedBefore.filter((p) => !paths.has(p))).toEqual([])
  })

  async function addSiteUserAndBackup(acknowledged: string[]) {
    expect((await server.post(pageview(NEW, '/before'))).status).toBe(403)

    const added = await cairn('sites', 'add', NEW, '--timezone', 'Europe/Paris')
    expect(added.stdout).toContain(`${NEW} is counted from now on`)
    const start = Date.now()
    let status = 0
    while (status !== 202 && Date.now() - start < 10_000) {
      status = (await server.post(pageview(NEW, '/first'))).status
      if (status !== 202) await new Promise((r) => setTimeout(r, 100))
    }
    expect(status).toBe(202)

    const user = await cairn('users', 'add', 'newcomer@example.com', '--role', 'viewer', '--site', NEW)
    const password = /password: (\S+)/.exec(user.stdout)?.[1]
    expect(password).toBeDefined()
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'newcomer@example.com', password }) })
    expect(login.status).toBe(200)
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const sites = (await (await fetch(`${server.url}/api/sites`, { headers: { cookie } })).json()) as { sites: { site: string; timezone: string }[] }
    expect(sites.sites).toEqual([{ site: NEW, timezone: 'Europe/Paris', admin: false }])
    expect((await fetch(`${server.url}/api/stats/${SITE}/aggregate`, { headers: { cookie } })).status).toBe(403)
    expect((await fetch(`${server.url}/api/stats/${NEW}/aggregate?period=30d`, { headers: { cookie } })).status).toBe(200)

    // And a backup under ingest, through the socket, while the sender keeps going.
    const dir = join(tempDataDir(), 'backup')
    const acknowledgedBefore = [...acknowledged]
    const backedUp = await cairn('backup', '--to', dir)
    expect(backedUp.stdout).toMatch(/backed up \d+ tables/)
    return { dir, acknowledgedBefore }
  }

  it('reach the server through a socket only its owner can open, acting as the operator', async () => {
    const socket = join(server.dataDir, 'cairn.sock')
    expect(statSync(socket).mode & 0o777).toBe(0o600)
    expect(statSync(server.dataDir).mode & 0o077).toBe(0)
    const overSocket = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: socket, path: '/api/users', headers: { accept: 'application/json' } }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(overSocket.status).toBe(200)
    expect(overSocket.body).toContain('newcomer@example.com')
    // The same route over TCP without credentials is refused: the socket, not a header, makes the operator.
    const overTcp = await fetch(`${server.url}/api/users`, { headers: { 'x-cairn-operator': '1', host: 'localhost' } })
    expect(overTcp.status).toBe(401)
  })

  it('list, and remove a site with its data only when asked, typed twice', async () => {
    expect((await cairn('sites', 'list')).stdout).toContain(`${NEW}\tEurope/Paris`)
    await expect(cairn('sites', 'remove', NEW)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`--confirm ${NEW}`) })
    await cairn('sites', 'remove', NEW, '--confirm', NEW, '--erase')
    expect((await server.post(pageview(NEW, '/after'))).status).toBe(403)
    const [left] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: NEW })
    expect(Number(left!.n)).toBe(0)
  })
})

describe('several collectors on one database', () => {
  it('see a site added by another within the refresh delay', async () => {
    // A second process's view of the sites: its own list over the same database, refreshing on its timer.
    const other = new SiteList(server.storage)
    await other.refresh()
    other.start((error) => {
      throw error
    })
    const later = uniqueSite('later')
    try {
      expect(other.has(later)).toBe(false)
      await server.server.collector.sites.save({ site: later, timeZone: 'UTC', domains: [], excludePaths: [], excludeRanges: [] })
      expect(server.server.collector.sites.has(later)).toBe(true)
      const start = Date.now()
      while (!other.has(later) && Date.now() - start < SITES_REFRESH_MS + 2_000) await new Promise((r) => setTimeout(r, 100))
      expect(other.has(later)).toBe(true)
    } finally {
      await other.stop()
    }
  })
})
