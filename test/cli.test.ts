/** The `cairn` commands a site owner runs: demo data with a progress bar, users and API keys that then work. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { TestServer, tempDataDir } from './helpers/server.ts'

const run = promisify(execFile)
const dataDir = tempDataDir()
const env = { ...process.env, CAIRN_DATA_DIR: dataDir, CAIRN_SITES: 'shop.example=Europe/Berlin' }
const cairn = (...args: string[]) => run(process.execPath, ['collector/bin/cairn.js', ...args], { env, cwd: new URL('..', import.meta.url).pathname })
let server: TestServer | undefined

afterAll(() => server?.stop())

describe('cairn CLI', () => {
  it('fills a site with demo events, showing progress', async () => {
    const { stdout, stderr } = await cairn('demo', '--site', 'shop.example', '--events', '3000', '--days', '75')
    expect(stdout).toContain('wrote 3,000 demo events for shop.example')
    expect(stderr).toMatch(/\[#+\] 3,000\/3,000/)
  })

  it('makes the rollups of settled days again, showing progress', async () => {
    const { stdout, stderr } = await cairn('rollups', '--site', 'shop.example')
    const sealed = Number(/(\d+)/.exec(stdout)?.[1])
    expect(sealed).toBeGreaterThan(0)
    expect(stderr).toMatch(/\[#+\] (\d+)\/\1/)
    const { openDataDir } = await import('./helpers/server.ts')
    const storage = openDataDir(dataDir)
    try {
      const result = await storage.query({ query: "SELECT count() AS n FROM cairn.range_rollups WHERE dimension = '#seal'", format: 'JSONEachRow' })
      expect(Number((await result.json<{ n: string }>())[0]!.n)).toBe(sealed)
    } finally {
      await storage.close()
    }
  })

  it('refuses a site that is not configured, saying what to do', async () => {
    await expect(cairn('demo', '--site', 'elsewhere.example', '--events', '10')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cairn sites add'),
    })
  })

  it('answers a DPO\'s export and erasure by visitor id, and anonymises old data', async () => {
    const { openDataDir } = await import('./helpers/server.ts')
    let storage = openDataDir(dataDir)
    const [visitor] = await (await storage.query({ query: "SELECT toString(visitor_id) AS v, count() AS n FROM cairn.events WHERE site = 'shop.example' GROUP BY v ORDER BY n DESC LIMIT 1", format: 'JSONEachRow' })).json<{ v: string; n: string }>()
    await storage.close()

    const exported = JSON.parse((await cairn('privacy', 'export', '--visitor', visitor!.v, '--by', 'dpo@shop.example')).stdout) as { events: unknown[] }
    expect(exported.events).toHaveLength(Number(visitor!.n))
    const erased = await cairn('privacy', 'erase', '--visitor', visitor!.v, '--by', 'dpo@shop.example')
    expect(erased.stderr).toContain(`erased: shop.example ${visitor!.v}`)
    await expect(cairn('privacy', 'anonymize', '--before', '2099-01-01')).rejects.toMatchObject({ stderr: expect.stringContaining('current month') })
    const monthStart = new Date().toISOString().slice(0, 8) + '01'
    await cairn('privacy', 'anonymize', '--before', monthStart)

    storage = openDataDir(dataDir)
    const count = async (query: string) => Number((await (await storage.query({ query, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n)
    try {
      expect(await count(`SELECT count() AS n FROM cairn.events WHERE visitor_id = ${visitor!.v}`)).toBe(0)
      // Anonymised before the month: one id per visit, no address, no versions, no properties; the rest untouched.
      const before = `toDateTime64('${new Date().toISOString().slice(0, 8)}01 00:00:00', 3, 'UTC')`
      expect(await count(`SELECT count() AS n FROM cairn.events WHERE site = 'shop.example' AND timestamp < ${before}`)).toBeGreaterThan(0)
      expect(await count(`SELECT count() AS n FROM cairn.events WHERE site = 'shop.example' AND timestamp < ${before} AND (visitor_id != sipHash64(session_id) OR ip_truncated != toIPv6('::') OR browser_version != '' OR length(props) > 0)`)).toBe(0)
      expect(await count(`SELECT count() AS n FROM cairn.events WHERE site = 'shop.example' AND timestamp >= ${before} AND ip_truncated != toIPv6('::')`)).toBeGreaterThan(0)
      expect(await count(`SELECT count() AS n FROM cairn.sessions WHERE site = 'shop.example' AND start < ${before} AND visitor_id != sipHash64(session_id)`)).toBe(0)
      expect(await count("SELECT count() AS n FROM cairn.events WHERE site = 'shop.example'")).toBe(3000 - Number(visitor!.n))
      expect(await count("SELECT count() AS n FROM cairn.privacy_requests WHERE kind IN ('export', 'erase', 'anonymize')")).toBe(3)
    } finally {
      await storage.close()
    }
  })

  it('creates a user and an API key that the server then accepts', async () => {
    const user = await cairn('users', 'add', 'anna@example.com', '--role', 'viewer', '--site', 'shop.example')
    const password = /password: (\S+)/.exec(user.stdout)?.[1]
    expect(password).toBeDefined()
    const keys = await cairn('keys', 'add', '--user', 'anna@example.com', '--name', 'reports')
    const key = /\(shown once\): (\S+)/.exec(keys.stdout)?.[1]
    expect(key).toMatch(/^cairn_key_/)

    server = await TestServer.start({ sites: ['shop.example=Europe/Berlin'], dataDir })
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'anna@example.com', password }) })
    expect(login.status).toBe(200)
    const stats = await fetch(`${server.url}/api/stats/shop.example/aggregate?period=30d`, { headers: { authorization: `Bearer ${key}` } })
    expect(stats.status).toBe(200)
    expect(((await stats.json()) as { results: { pageviews: number } }).results.pageviews).toBeGreaterThan(0)
  })
})

describe('cairn CLI usage', () => {
  it('answers --help at every level, without a data directory or a configuration', async () => {
    const bare = (...args: string[]) => run(process.execPath, ['collector/bin/cairn.js', ...args], { env: { ...process.env, CAIRN_SITES: 'not a site!' }, cwd: new URL('..', import.meta.url).pathname })
    expect((await bare('--help')).stdout).toMatch(/^Usage: cairn <command>/)
    for (const args of [['users', '--help'], ['users', 'add', '--help'], ['users', 'remove', '-h'], ['keys', 'list', '--help'], ['keys', 'revoke', '--help'], ['shares', '--help'], ['privacy', 'erase', '--help'], ['demo', '--help'], ['sql', '--help'], ['cookies', '--help'], ['privacy-notice', '--help'], ['serve', '--help'], ['sites', '--help'], ['sites', 'add', '--help'], ['sites', 'remove', '-h'], ['backup', '--help'], ['restore', '--help'], ['goals', '--help'], ['goals', 'add', '--help'], ['reports', '--help'], ['reports', 'send', '--help']]) {
      const { stdout, stderr } = await bare(...args)
      expect(stdout, args.join(' ')).toMatch(new RegExp(`^Usage:\\n  ${args[0]}`))
      expect(stderr).toBe('')
    }
  })

  it('speaks the terminal\'s language: usage and refusals in French under LANG=fr_FR.UTF-8', async () => {
    const french = (...args: string[]) => run(process.execPath, ['collector/bin/cairn.js', ...args], { env: { ...env, LANG: 'fr_FR.UTF-8', LC_ALL: '', LC_MESSAGES: '' }, cwd: new URL('..', import.meta.url).pathname })
    expect((await french('--help')).stdout).toMatch(/^Utilisation\u00a0: cairn <commande>/)
    await expect(french('users', 'add', 'not-an-email')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('n’est pas une adresse e-mail') })
    await expect(french('demo', '--site', 'shop.example', '--days=0')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--days doit être un nombre entier/) })
  })

  it('refuses an unknown option or a number out of range with the command\'s usage, at once', async () => {
    await expect(cairn('users', 'add', 'x@example.com', '--rol', 'admin')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown option '--rol'[\s\S]*Usage:\n  users add/) })
    for (const [flag, value] of [['--days', '0'], ['--days', '-3'], ['--days', '1.5'], ['--events', '0'], ['--events', 'many'], ['--seed', '1e3']]) {
      const started = Date.now()
      await expect(cairn('demo', '--site', 'shop.example', `${flag}=${value}`), `${flag} ${value}`).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`${flag} must be a whole number`) })
      expect(Date.now() - started).toBeLessThan(10_000)
    }
  })
})
