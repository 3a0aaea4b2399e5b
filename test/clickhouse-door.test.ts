/**
 * The analysts' door: @clickhouse/client pointed at /clickhouse works as against a ClickHouse server,
 * read-only whatever the query says, and only for users who may read every site.
 */
import { existsSync } from 'node:fs'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer } from './helpers/server.ts'

const SITE = 'door.example'
let server: TestServer
let analyst: ClickHouseClient

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE, 'other.example'] })
  await generateDemo(server.storage, { site: SITE, events: 2000, days: 5, seed: 3 })
  await addUser(server.server.collector.access, 'analyst@example.com', 'analyst password', 'viewer', '*')
  await addUser(server.server.collector.access, 'marketing@example.com', 'marketing password', 'viewer', SITE)
  analyst = createClient({ url: `${server.url}/clickhouse`, username: 'analyst@example.com', password: 'analyst password' })
})
afterAll(async () => {
  await analyst?.close()
  await server?.stop()
})

const fingerprint = async () =>
  JSON.stringify(await server.rows("SELECT name, total_rows FROM system.tables WHERE database = 'cairn' ORDER BY name"))

describe('/clickhouse with @clickhouse/client', () => {
  it('runs a parameterised SELECT and streams JSONEachRow', async () => {
    const result = await analyst.query({
      query: 'SELECT name, count() AS n FROM cairn.events WHERE site = {site:String} GROUP BY name ORDER BY n DESC',
      query_params: { site: SITE },
      format: 'JSONEachRow',
    })
    const rows: { name: string; n: string }[] = []
    for await (const batch of result.stream<{ name: string; n: string }>()) for (const row of batch) rows.push(row.json())
    const expected = await server.rows<{ name: string; n: string }>('SELECT name, toString(count()) AS n FROM cairn.events WHERE site = {site:String} GROUP BY name ORDER BY count() DESC', { site: SITE })
    expect(rows).toEqual(expected)
    expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(2000)
  })

  it('reads the views and unqualified table names of cairn', async () => {
    const visits = await (await analyst.query({ query: 'SELECT count() AS n FROM sessions WHERE site = {site:String}', query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ n: string }>()
    expect(Number(visits[0]!.n)).toBeGreaterThan(0)
  })

  it('reads imported days’ figures, not the list of imports (it names who ran them)', async () => {
    await server.storage.insert({
      table: 'cairn.imported_aggregates',
      values: [{ site: SITE, import_id: 7, date: '2026-01-02', dimension: '', value: '', visitors: 12, visits: 14, pageviews: 30, events: 0, bounces: 5, visit_duration: 600 }],
      format: 'JSONEachRow',
    })
    const read = await (await analyst.query({ query: 'SELECT sum(visitors) AS n FROM cairn.imported_aggregates WHERE site = {site:String}', query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ n: string }>()
    expect(read).toEqual([{ n: '12' }])
    await expect(analyst.query({ query: 'SELECT created_by FROM cairn.imports' })).rejects.toMatchObject({ message: expect.stringMatching(/not readable/) })
  })

  it('answers errors with ClickHouse codes', async () => {
    await expect(analyst.query({ query: 'SELECT nope FROM cairn.events' })).rejects.toMatchObject({ code: '47', type: 'UNKNOWN_IDENTIFIER' })
    await expect(analyst.query({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' })
    await expect(analyst.query({ query: 'SELECT * FROM cairn.nothing_here' })).rejects.toMatchObject({ code: '60' })
  })

  it('refuses wrong credentials with 401, and users who may not read every site the same way', async () => {
    const wrong = createClient({ url: `${server.url}/clickhouse`, username: 'analyst@example.com', password: 'wrong' })
    await expect(wrong.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' })
    await wrong.close()
    const raw = await fetch(`${server.url}/clickhouse?query=SELECT%201`)
    expect(raw.status).toBe(401)
    expect(raw.headers.get('x-clickhouse-exception-code')).toBe('516')
    const marketing = createClient({ url: `${server.url}/clickhouse`, username: 'marketing@example.com', password: 'marketing password' })
    // A right password without a role on every site gets the answer a wrong one gets: no oracle for guessing.
    await expect(marketing.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' })
    await marketing.close()
  })

  it('refuses a browser’s request from another origin, credentials or not', async () => {
    const auth = `Basic ${Buffer.from('analyst@example.com:analyst password').toString('base64')}`
    for (const origin of ['https://evil.example', `http://${SITE}`, 'null']) {
      const response = await fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: { authorization: auth, origin } })
      expect([response.status, response.headers.get('x-clickhouse-exception-code')], origin).toEqual([403, '497'])
    }
    const own = await fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: { authorization: auth, origin: server.url } })
    expect(await own.text()).toBe('1\n')
  })

  it('takes X-ClickHouse-User / X-ClickHouse-Key and an API key as the password, with the query in the URL', async () => {
    const key = await server.server.collector.access.createApiKey('analyst@example.com', 'notebook')
    const response = await fetch(`${server.url}/clickhouse?query=${encodeURIComponent('SELECT {n:UInt8} + 1 AS two')}&param_n=1&default_format=JSON`, {
      headers: { 'x-clickhouse-user': 'analyst@example.com', 'x-clickhouse-key': key },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-clickhouse-format')).toBe('JSON')
    expect(response.headers.get('x-clickhouse-query-id')).toMatch(/\w/)
    expect(((await response.json()) as { data: { two: number }[] }).data).toEqual([{ two: 2 }])
  })
})

describe('cairn sql', () => {
  it('prints an aligned table, or any ClickHouse format, through the door', async () => {
    const { execFile } = await import('node:child_process')
    const run = (...args: string[]) =>
      new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        execFile(process.execPath, ['collector/bin/cairn.js', 'sql', ...args], {
          cwd: new URL('..', import.meta.url).pathname,
          env: { ...process.env, CAIRN_URL: server.url, CAIRN_USER: 'analyst@example.com', CAIRN_PASSWORD: 'analyst password', CAIRN_SITES: SITE },
        }, (error, stdout, stderr) => resolve({ stdout, stderr, code: error ? (error as { code?: number }).code ?? 1 : 0 }))
      })
    const table = await run("SELECT 1 AS one, 'cairn' AS name")
    expect(table.stdout).toMatch(/one.*name/)
    expect(table.stdout).toMatch(/│ +1 │ cairn │/)
    const csv = await run('SELECT 1 AS one, 2 AS two', '--format', 'CSVWithNames')
    expect(csv.stdout).toBe('"one","two"\n1,2\n')
    const refused = await run('SELECT * FROM cairn.salts')
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/Code: 497/)
  })
})

describe('read-only whatever the query says', () => {
  const attempts: [string, string][] = [
    ['INSERT', "INSERT INTO cairn.events (site, name) VALUES ('door.example', 'forged')"],
    ['ALTER DELETE', 'ALTER TABLE cairn.events DELETE WHERE 1'],
    ['DROP', 'DROP TABLE cairn.events'],
    ['TRUNCATE', 'TRUNCATE TABLE cairn.events'],
    ['CREATE', 'CREATE TABLE cairn.stolen ENGINE = Memory AS SELECT * FROM cairn.salts'],
    ['SET', 'SET readonly = 0'],
    ['SETTINGS readonly=0', 'SELECT count() FROM cairn.events SETTINGS readonly = 0'],
    ['SETTINGS max_execution_time', 'SELECT count() FROM cairn.events SETTINGS max_execution_time = 100000'],
    ['two statements', 'SELECT 1; DROP TABLE cairn.events'],
    ['two statements hiding in a comment', 'SELECT 1 /* ; */; SELECT * FROM cairn.salts'],
    ['salts', 'SELECT * FROM cairn.salts'],
    ['salts unqualified', 'SELECT salt FROM salts'],
    ['salts in a subquery', 'SELECT count() FROM cairn.events WHERE site IN (SELECT salt FROM cairn.salts)'],
    ['users', 'SELECT email, password_hash FROM cairn.users'],
    ['api keys', 'SELECT * FROM cairn.api_keys'],
    ['merge() over salts', "SELECT * FROM merge('cairn', '^salts$')"],
    ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
    ['url()', "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')"],
    ['remote()', "SELECT * FROM remote('127.0.0.1:9000', 'cairn', 'salts')"],
    ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv')"],
    ['INTO OUTFILE', "SELECT * FROM cairn.events INTO OUTFILE '/tmp/cairn-door-leak.csv'"],
    ['identifier parameter', 'SELECT * FROM {t:Identifier}'],
    ['system.processes', 'SELECT query FROM system.processes'],
    ['OPTIMIZE', 'OPTIMIZE TABLE cairn.events FINAL'],
    ['SYSTEM', 'SYSTEM DROP MARK CACHE'],
  ]

  it.each(attempts)('refuses %s and changes nothing', async (_, query) => {
    const before = await fingerprint()
    const response = await fetch(`${server.url}/clickhouse?param_t=cairn.salts`, {
      method: 'POST',
      body: query,
      headers: { authorization: `Basic ${Buffer.from('analyst@example.com:analyst password').toString('base64')}` },
    })
    expect(response.status, await response.clone().text()).toBeGreaterThanOrEqual(400)
    expect(response.headers.get('x-clickhouse-exception-code')).toMatch(/^\d+$/)
    expect(await response.text()).toMatch(/^Code: \d+\. DB::Exception: /)
    expect(await fingerprint()).toBe(before)
    expect(existsSync('/tmp/cairn-door-leak.csv')).toBe(false)
  })

  it('bounds every query in time and memory', async () => {
    const limits = await (await analyst.query({ query: "SELECT getSetting('max_execution_time') AS t, getSetting('max_memory_usage') AS m, getSetting('readonly') AS r", format: 'JSONEachRow' })).json<{ t: number; m: string; r: number }>()
    expect(limits.map((l) => [Number(l.t), Number(l.m), Number(l.r)])).toEqual([[60, 2_000_000_000, 1]])
    await expect(analyst.query({ query: 'SELECT length(groupArray(number)) FROM numbers(1000000000)' })).rejects.toMatchObject({ code: expect.stringMatching(/^(241|396)$/) })
  })

  it('refuses a setting in the URL', async () => {
    const response = await fetch(`${server.url}/clickhouse?query=SELECT%201&readonly=0&max_memory_usage=100000000000`, {
      headers: { authorization: `Basic ${Buffer.from('analyst@example.com:analyst password').toString('base64')}` },
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('164')
  })

  it('keeps the collector writing while analysts read', async () => {
    const response = await server.post({ n: 'pageview', u: `https://${SITE}/after-door`, d: SITE })
    expect(response.status).toBe(202)
    await server.flush()
    expect(await server.rows("SELECT 1 FROM cairn.events WHERE pathname = '/after-door'")).toHaveLength(1)
  })
})
