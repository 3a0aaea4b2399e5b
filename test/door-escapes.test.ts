/**
 * The SQL door against an attacker holding an analyst's login: every escape of the security review, with
 * quoting variants, run against the server; after each, the files, the tables and another analyst's
 * queries are checked unchanged. Then a property test generates statements on both sides of the
 * allowlist and checks each is refused exactly when it reaches past it.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer } from './helpers/server.ts'

const SITE = 'escapes.example'
const files = mkdtempSync(join(tmpdir(), 'cairn-door-files-'))
const CANARY = join(files, 'canary.js')
const OUT = join(files, 'written.txt')
let server: TestServer
let other: ClickHouseClient
let baseline: { events: string; users: string }

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const ANALYST = basic('analyst@example.com', 'analyst password')

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE] })
  await generateDemo(server.storage, { site: SITE, events: 3000, days: 5, seed: 5 })
  const access = server.server.collector.access
  await addUser(access, 'analyst@example.com', 'analyst password', 'viewer', '*')
  await addUser(access, 'colleague@example.com', 'colleague password', 'viewer', '*')
  await access.createApiKey('colleague@example.com', 'notebook')
  writeFileSync(CANARY, 'console.log("canary")\n')
  other = createClient({ url: `${server.url}/clickhouse`, username: 'colleague@example.com', password: 'colleague password' })
  baseline = { events: await otherCount(), users: JSON.stringify(await server.rows('SELECT email, password_hash FROM cairn.users FINAL ORDER BY email')) }
})
afterAll(async () => {
  await other?.close()
  await server?.stop()
})

/** What another analyst's unqualified query reads: it must keep meaning cairn.events. */
async function otherCount(): Promise<string> {
  const [row] = await (await other.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })).json<{ n: string }>()
  return row!.n
}

const fingerprint = async () =>
  JSON.stringify(await server.rows("SELECT database, name, total_rows FROM system.tables WHERE database = 'cairn' ORDER BY name"))

function door(query: string, params: Record<string, string> = {}): Promise<Response> {
  const url = new URL(`${server.url}/clickhouse`)
  for (const [name, value] of Object.entries(params)) url.searchParams.set(`param_${name}`, value)
  return fetch(url, { method: 'POST', body: query, headers: { authorization: ANALYST } })
}

/** Runs an escape while another analyst's query is in flight, then checks that nothing changed. */
async function attempt(query: string, params: Record<string, string> = {}): Promise<Response> {
  const before = await fingerprint()
  const theirs = other.query({ query: 'SELECT count() AS n FROM numbers(100000000) WHERE NOT ignore(sleepEachRow(0))', format: 'JSONEachRow' })
  const response = await door(query, params)
  const text = await response.clone().text()
  expect(await (await theirs).json(), 'the other analyst’s query ran to its end').toEqual([{ n: '100000000' }])
  expect(await fingerprint()).toBe(before)
  expect(readdirSync(files), `files written by: ${query}`).toEqual(['canary.js'])
  expect(readFileSync(CANARY, 'utf8')).toBe('console.log("canary")\n')
  expect(await otherCount()).toBe(baseline.events)
  expect(JSON.stringify(await server.rows('SELECT email, password_hash FROM cairn.users FINAL ORDER BY email'))).toBe(baseline.users)
  // No secret came back either way.
  expect(text).not.toMatch(/scrypt\$|cairn_key_|analyst password/)
  return response
}

async function expectRefused(query: string, params: Record<string, string> = {}): Promise<void> {
  const response = await attempt(query, params)
  const text = await response.text()
  expect(response.status, `${query} → ${text}`).toBeGreaterThanOrEqual(400)
  expect(response.status).toBeLessThan(500)
  expect(response.headers.get('x-clickhouse-exception-code')).toMatch(/^\d+$/)
  expect(text).toMatch(/^Code: \d+\. DB::Exception: /)
}

const OUTFILE = [
  ['$$ hiding a quote', `SELECT $$'$$ AS a INTO OUTFILE '${CANARY}' TRUNCATE`],
  ['$tag$ hiding a quote', `SELECT $x$'$x$ AS a INTO OUTFILE '${CANARY}' TRUNCATE FORMAT RawBLOB`],
  ['backslash-escaped quote', `SELECT 'it\\'s' AS a INTO OUTFILE '${OUT}'`],
  ['doubled quote', `SELECT 'it''s' AS a INTO OUTFILE '${OUT}'`],
  ['quote in a block comment', `SELECT 1 /* ' */ INTO OUTFILE '${OUT}' /* ' */`],
  ['quote in a line comment', `SELECT 1 -- '\nINTO OUTFILE '${OUT}'`],
  ['quote after #', `SELECT 1 # '\nINTO OUTFILE '${OUT}'`],
  ['unicode quotes', `SELECT ‘'’ AS “a” INTO OUTFILE '${OUT}'`],
  ['backquoted alias with a quote', "SELECT 1 AS `'` INTO OUTFILE '" + OUT + "'"],
  ['compressed', `SELECT 1 INTO OUTFILE '${OUT}.gz' COMPRESSION 'gzip'`],
  ['appended', `SELECT 1 INTO OUTFILE '${CANARY}' APPEND`],
  ['and stdout', `SELECT 1 INTO OUTFILE '${OUT}' AND STDOUT`],
  ['in a union', `SELECT 1 UNION ALL SELECT 2 INTO OUTFILE '${OUT}'`],
  ['after a subquery', `SELECT * FROM (SELECT 1) INTO OUTFILE '${OUT}'`],
  ['from DESCRIBE', `DESCRIBE cairn.events INTO OUTFILE '${OUT}'`],
  ['from SHOW TABLES', `SHOW TABLES INTO OUTFILE '${OUT}'`],
  ['from EXISTS', `EXISTS cairn.events INTO OUTFILE '${OUT}'`],
  ['from SHOW CREATE', `SHOW CREATE TABLE cairn.events INTO OUTFILE '${OUT}' TRUNCATE`],
  ['with FORMAT first', `SELECT 1 INTO OUTFILE '${OUT}' FORMAT CSV`],
  ['as a second statement', `SELECT 1; SELECT 2 INTO OUTFILE '${OUT}'`],
  ['behind a string ending in a backslash', `SELECT 'a\\\\' AS x, ' INTO OUTFILE ' AS y INTO OUTFILE '${OUT}'`],
] as const

const STATEMENTS = [
  ['USE system', 'USE system'],
  ['USE with a comment', '/* x */ USE `system`'],
  ['SET', 'SET readonly = 0'],
  ['SET a parameter', "SET param_x = 'y'"],
  ['SHOW PROCESSLIST', 'SHOW PROCESSLIST'],
  ['SHOW PROCESSLIST with FORMAT', 'SHOW PROCESSLIST FORMAT JSON'],
  ['KILL QUERY', 'KILL QUERY WHERE 1'],
  ['KILL QUERY SYNC', "KILL QUERY WHERE query LIKE '%numbers%' SYNC"],
  ['KILL MUTATION', 'KILL MUTATION WHERE 1'],
  ['SYSTEM', 'SYSTEM DROP MARK CACHE'],
  ['SYSTEM SHUTDOWN', 'SYSTEM SHUTDOWN'],
  ['INSERT', `INSERT INTO cairn.events (site, name) VALUES ('${SITE}', 'forged')`],
  ['INSERT SELECT', 'INSERT INTO cairn.users SELECT * FROM cairn.users'],
  ['ALTER', 'ALTER TABLE cairn.events DELETE WHERE 1'],
  ['ALTER UPDATE', "ALTER TABLE cairn.users UPDATE password_hash = '' WHERE 1"],
  ['lightweight DELETE', 'DELETE FROM cairn.events WHERE 1'],
  ['DROP', 'DROP TABLE cairn.events'],
  ['TRUNCATE', 'TRUNCATE TABLE cairn.salts'],
  ['CREATE', 'CREATE TABLE cairn.stolen ENGINE = Memory AS SELECT * FROM cairn.users'],
  ['CREATE VIEW', 'CREATE VIEW cairn.v AS SELECT * FROM cairn.users'],
  ['CREATE USER', "CREATE USER x IDENTIFIED BY 'y'"],
  ['GRANT', 'GRANT ALL ON *.* TO default'],
  ['RENAME', 'RENAME TABLE cairn.events TO cairn.gone'],
  ['EXCHANGE', 'EXCHANGE TABLES cairn.users AND cairn.events'],
  ['DETACH', 'DETACH TABLE cairn.users'],
  ['OPTIMIZE', 'OPTIMIZE TABLE cairn.events FINAL'],
  ['BACKUP to a file', `BACKUP TABLE cairn.users TO File('${OUT}')`],
  ['EXPLAIN', 'EXPLAIN SELECT * FROM cairn.users'],
  ['CHECK TABLE', 'CHECK TABLE cairn.users'],
  ['two statements', 'SELECT 1; DROP TABLE cairn.events'],
  ['two statements hidden by a comment', 'SELECT 1 /* ; */; SELECT * FROM cairn.salts'],
  ['two statements hidden by $$', 'SELECT $$;$$; KILL QUERY WHERE 1'],
] as const

const SETTINGS = [
  ['SETTINGS readonly', 'SELECT count() FROM cairn.events SETTINGS readonly = 0'],
  ['SETTINGS lifting a limit', 'SELECT count() FROM cairn.events SETTINGS max_execution_time = 100000'],
  ['SETTINGS before FORMAT', 'SELECT 1 SETTINGS max_memory_usage = 0 FORMAT JSON'],
  ['SETTINGS after FORMAT', 'SELECT 1 FORMAT JSON SETTINGS max_memory_usage = 0'],
  ['SETTINGS in a subquery', 'SELECT * FROM (SELECT 1 SETTINGS max_result_bytes = 0)'],
  ['SETTINGS on DESCRIBE', 'DESCRIBE cairn.events SETTINGS max_threads = 100'],
  ['FORMAT reading a template file', "SELECT 1 FORMAT Template"],
  ['FORMAT with a schema file', 'SELECT 1 FORMAT Protobuf'],
] as const

const READS = [
  ['salts', 'SELECT * FROM cairn.salts'],
  ['users', 'SELECT email, password_hash FROM cairn.users'],
  ['users unqualified', 'SELECT * FROM users'],
  ['users backquoted', 'SELECT * FROM `cairn`.`users`'],
  ['users double-quoted', 'SELECT * FROM "cairn"."users"'],
  ['users with spaces around the dot', 'SELECT * FROM cairn . users'],
  ['api keys', 'SELECT * FROM cairn.api_keys'],
  ['login sessions', 'SELECT * FROM cairn.login_sessions'],
  ['shared links', 'SELECT * FROM cairn.shared_links'],
  ['memberships', 'SELECT * FROM cairn.memberships'],
  ['restrictions', 'SELECT * FROM cairn.restrictions'],
  ['privacy requests', 'SELECT * FROM cairn.privacy_requests'],
  ['imports (who ran them)', 'SELECT * FROM cairn.imports'],
  ['users in a nested subquery', 'SELECT * FROM (SELECT * FROM (SELECT email FROM cairn.users))'],
  ['users in a scalar subquery', 'SELECT (SELECT any(password_hash) FROM cairn.users) AS h'],
  ['users in a CTE', 'WITH u AS (SELECT * FROM cairn.users) SELECT * FROM u'],
  ['users joined', 'SELECT * FROM cairn.events AS e JOIN cairn.users AS u ON e.name = u.email'],
  ['users in a UNION', 'SELECT name FROM cairn.events UNION ALL SELECT email FROM cairn.users'],
  ['x IN cairn.users', "SELECT 1 WHERE 'admin@localhost' IN cairn.users"],
  ['x IN users', "SELECT count() FROM cairn.events WHERE name IN users"],
  ['x GLOBAL NOT IN', "SELECT 1 WHERE 'a' GLOBAL NOT IN cairn.api_keys"],
  ['tuple IN salts', 'SELECT 1 WHERE (today(), 1) IN cairn.salts'],
  ['users as an Identifier parameter', 'SELECT * FROM {t:Identifier}', { t: 'cairn.users' }],
  ['users unqualified as an Identifier parameter', 'SELECT * FROM {t:Identifier}', { t: 'users' }],
  ['an Identifier parameter on the right of IN', "SELECT 1 WHERE 'x' IN {t:Identifier}", { t: 'cairn.users' }],
  ['a name with a line break', "SELECT 1 AS `a\n    TableIdentifier cairn.events` FROM cairn.users"],
  ['system.processes', 'SELECT query FROM system.processes'],
  ['system.mutations', 'SELECT command FROM system.mutations'],
  ['system.query_log', 'SELECT query FROM system.query_log'],
  ['system.parts', 'SELECT * FROM system.parts'],
  ['system.users', 'SELECT * FROM system.users'],
  ['DESCRIBE users', 'DESCRIBE cairn.users'],
  ['SHOW CREATE users', 'SHOW CREATE TABLE cairn.users'],
  ['EXISTS on users', 'EXISTS cairn.users'],
  ['SHOW DICTIONARIES', 'SHOW DICTIONARIES'],
  ['SHOW SETTINGS', "SHOW SETTINGS LIKE '%'"],
] as const

const FUNCTIONS = [
  ['mergeTreeIndex', 'SELECT * FROM mergeTreeIndex(cairn, users)'],
  ['mergeTreeIndex with marks', "SELECT * FROM mergeTreeIndex('cairn', 'users', with_marks = true)"],
  ['mergeTreeIndex in a subquery', 'SELECT count() FROM cairn.events WHERE name IN (SELECT email FROM mergeTreeIndex(cairn, users))'],
  ['mergeTreeIndex on the right of IN', "SELECT 1 WHERE 'a' IN mergeTreeIndex(cairn, users)"],
  ['mergeTreeIndex in upper case', 'SELECT * FROM MERGETREEINDEX(cairn, users)'],
  ['mergeTreeProjection', 'SELECT * FROM mergeTreeProjection(cairn, events, p)'],
  ['mergeTreeAnalyzeIndexes', 'SELECT * FROM mergeTreeAnalyzeIndexes(cairn, users)'],
  ['merge()', "SELECT * FROM merge('cairn', '^salts$')"],
  ['loop()', 'SELECT * FROM loop(cairn, users) LIMIT 1'],
  ['view()', 'SELECT * FROM view(SELECT * FROM cairn.events)'],
  ['viewIfPermitted()', 'SELECT * FROM viewIfPermitted(SELECT * FROM cairn.users ELSE null())'],
  ['dictionary()', "SELECT * FROM dictionary('x')"],
  ['file() table', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
  ['file() function', "SELECT file('/etc/hostname')"],
  ['file() in a WHERE', "SELECT 1 WHERE length(file('/etc/hostname')) > 0"],
  ['filesystem()', "SELECT * FROM filesystem('/')"],
  ['url()', "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')"],
  ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv')"],
  ['remote()', "SELECT * FROM remote('127.0.0.1:9000', 'cairn', 'salts')"],
  ['cluster()', "SELECT * FROM clusterAllReplicas('default', cairn.users)"],
  ['executable()', "SELECT * FROM executable('sh', 'TSV', 'x String')"],
  ['sqlite()', "SELECT * FROM sqlite('/tmp/x.db', 't')"],
  ['icebergLocal()', "SELECT * FROM icebergLocal('/tmp')"],
  ['input()', "SELECT * FROM input('x String')"],
  ['format()', "SELECT * FROM format(JSONEachRow, '{\"a\":1}')"],
  ['eval()', "SELECT * FROM eval('x')"],
  ['joinGet', "SELECT joinGet('cairn.users', 'password_hash', 'admin@localhost')"],
  ['dictGet', "SELECT dictGet('cairn.users', 'password_hash', 1)"],
  ['hasColumnInTable', "SELECT hasColumnInTable('cairn', 'users', 'email')"],
  ['getServerSetting', "SELECT getServerSetting('path')"],
  ['getMacro', "SELECT getMacro('x')"],
  ['filesystemAvailable', 'SELECT filesystemAvailable()'],
  ['logTrace', "SELECT logTrace('forged line')"],
  ['hostName', 'SELECT hostName()'],
  ['an LLM provider', "SELECT aiGenerate('say what the users table holds')"],
  ['a Keeper counter', "SELECT generateSerialID('door')"],
  ['x IN t, ignoring the set', "SELECT 1 WHERE 'a' IN cairn.users SETTINGS transform_null_in = 1"],
] as const

describe('escapes of the security review, and their variants', () => {
  it.each(OUTFILE)('INTO OUTFILE: %s', (_, query) => expectRefused(query))
  it.each(STATEMENTS)('statement: %s', (_, query) => expectRefused(query))
  it.each(SETTINGS)('settings: %s', (_, query) => expectRefused(query))
  it.each(READS)('internal data: %s', (_, query, params?: Record<string, string>) => expectRefused(query, params))
  it.each(FUNCTIONS)('function: %s', (_, query) => expectRefused(query))

  it('still answers what analysts ask, the same checks around it', async () => {
    const response = await attempt(`SELECT name, count() AS n FROM events WHERE site = {site:String} GROUP BY name ORDER BY name FORMAT JSONEachRow`, { site: SITE })
    expect(response.status).toBe(200)
    const rows = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as { name: string; n: string })
    expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(3000)
  })
})

describe('around the allowlist boundary', () => {
  // Each part of a generated statement is either inside the allowlist or past it; the statement must be
  // refused exactly when one part is past it, and must run otherwise.
  const tables = fc.constantFrom(
    { sql: 'cairn.events', ok: true }, { sql: 'events', ok: true }, { sql: '`cairn`.`sessions`', ok: true }, { sql: '"cairn"."pageviews"', ok: true },
    { sql: 'system.one', ok: true }, { sql: 'numbers(3)', ok: true }, { sql: 'generateSeries(1, 2)', ok: true }, { sql: 'system.tables', ok: true },
    { sql: 'cairn.users', ok: false }, { sql: 'users', ok: false }, { sql: '`cairn`.`salts`', ok: false }, { sql: '"cairn"."api_keys"', ok: false },
    { sql: 'system.processes', ok: false }, { sql: 'system.mutations', ok: false }, { sql: 'mergeTreeIndex(cairn, users)', ok: false },
    { sql: "file('/etc/hostname', 'LineAsString')", ok: false }, { sql: "merge('cairn', 'users')", ok: false },
  )
  const columns = fc.constantFrom(
    { sql: 'count() AS c', ok: true }, { sql: "length('it''s') AS c", ok: true }, { sql: '$$a;b$$ AS c', ok: true }, { sql: "'x -- y' AS c", ok: true },
    { sql: "concat('/*', '*/') AS c", ok: true }, { sql: "getSetting('readonly') AS c", ok: true },
    { sql: "file('/etc/hostname') AS c", ok: false }, { sql: "hostName() AS c", ok: false }, { sql: "joinGet('cairn.users', 'email', 'x') AS c", ok: false },
  )
  const filters = fc.constantFrom(
    { sql: '', ok: true }, { sql: ' WHERE 1 IN (SELECT 1)', ok: true }, { sql: " WHERE 'a' IN ('a', 'b')", ok: true },
    { sql: " WHERE 'a' IN cairn.users", ok: false }, { sql: ' WHERE 1 IN (SELECT 1 FROM cairn.salts)', ok: false },
  )
  const tails = fc.constantFrom(
    { sql: '', ok: true }, { sql: ' FORMAT JSON', ok: true }, { sql: ' FORMAT CSVWithNames', ok: true }, { sql: ' LIMIT 1', ok: true },
    { sql: ' SETTINGS max_threads = 1', ok: false }, { sql: ` INTO OUTFILE '${OUT}'`, ok: false }, { sql: ' FORMAT Template', ok: false },
    { sql: '; SELECT 1', ok: false }, { sql: ' /* ; */', ok: true },
  )

  it('refuses a statement exactly when one of its parts is past the allowlist', async () => {
    await fc.assert(
      fc.asyncProperty(columns, tables, filters, tails, async (column, table, filter, tail) => {
        const query = `SELECT ${column.sql} FROM ${table.sql}${filter.sql}${tail.sql}`
        const before = await fingerprint()
        const response = await door(query)
        const text = await response.text()
        const allowed = column.ok && table.ok && filter.ok && tail.ok
        if (allowed) expect(response.status, `${query} → ${text}`).toBe(200)
        else expect([response.status, text.slice(0, 5)], `${query} → ${text}`).toEqual([expect.toSatisfy((s: number) => s >= 400 && s < 500), 'Code:'])
        expect(await fingerprint()).toBe(before)
        expect(readdirSync(files)).toEqual(['canary.js'])
      }),
      { numRuns: 150, seed: 20261129 },
    )
  }, 120_000)
})
