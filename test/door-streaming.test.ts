/**
 * The SQL door's results stream: clients that do not read hold little memory, a client that hangs up
 * loses its query, each user and the door as a whole run a bounded number of queries, and parameters
 * arrive as ClickHouse's HTTP interface reads them.
 */
import { connect, type Socket } from 'node:net'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { QUERIES_IN_ALL, QUERIES_PER_USER } from '../dashboard/server/door/route.ts'
import { TestServer } from './helpers/server.ts'

let server: TestServer
let analyst: ClickHouseClient
const USERS = ['one@example.com', 'two@example.com', 'three@example.com']
const PASSWORD = 'door password'

beforeAll(async () => {
  server = await TestServer.start({ sites: ['stream.example'] })
  for (const user of USERS) await addUser(server.server.collector.access, user, PASSWORD, 'viewer', '*')
  analyst = createClient({ url: `${server.url}/clickhouse`, username: USERS[0], password: PASSWORD })
})
afterAll(async () => {
  await analyst?.close()
  await server?.stop()
})

/** ~600 MB of TSV if read to the end. */
const BIG = 'SELECT number, toString(number) AS s, toString(number * 7) AS t FROM numbers(40000000)'

/** Sends a query over a raw socket and reads only the response's head: the client that does not read. */
function stuckQuery(user: string, query = BIG): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.server.port, '127.0.0.1')
    const auth = Buffer.from(`${user}:${PASSWORD}`).toString('base64')
    socket.write(`POST /clickhouse HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${auth}\r\nContent-Length: ${Buffer.byteLength(query)}\r\n\r\n${query}`)
    socket.once('data', (chunk) => {
      socket.pause() // from here on the kernel's buffers fill and the server must wait
      resolve({ socket, head: chunk.toString('latin1').split('\r\n')[0]! })
    })
    socket.once('error', reject)
  })
}

const runningQueries = async () =>
  Number((await server.rows<{ n: string }>("SELECT count() AS n FROM system.processes WHERE query LIKE '%numbers(40000000)%' AND query NOT LIKE '%system.processes%'"))[0]!.n)

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('parameters', () => {
  it('arrive as the client sent them, strings and arrays alike', async () => {
    const strings = ["o'k", 'a\\b', 'tab\there', 'line\nbreak', "\\'", 'ünïcödé ✓ 名前', '', '\\N']
    for (const s of strings) {
      const rows = await (await analyst.query({ query: 'SELECT {s:String} AS s, toUInt32(length({s:String})) AS n', query_params: { s }, format: 'JSONEachRow' })).json<{ s: string; n: number }>()
      expect(rows).toEqual([{ s, n: Buffer.byteLength(s) }])
    }
    const array = await (await analyst.query({ query: 'SELECT {a:Array(String)} AS a', query_params: { a: ["o'k", 'a\\b', ''] }, format: 'JSONEachRow' })).json()
    expect(array).toEqual([{ a: ["o'k", 'a\\b', ''] }])
  })

  it('are read from the URL as ClickHouse reads param_*: escaped text', async () => {
    const url = new URL(`${server.url}/clickhouse`)
    url.searchParams.set('param_s', "o\\'k \\\\ done")
    url.searchParams.set('query', 'SELECT {s:String}')
    const response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${USERS[1]}:${PASSWORD}`).toString('base64')}` } })
    expect(await response.text()).toBe("o\\'k \\\\ done\n") // TabSeparated escapes the value again on the way out
  })
})

describe('streaming', () => {
  it('holds little memory for clients that do not read, and bounds queries per user and in all', async () => {
    expect(QUERIES_PER_USER).toBe(2)
    expect(QUERIES_IN_ALL).toBe(4)
    const before = process.memoryUsage().rss
    const stuck = [await stuckQuery(USERS[0]!), await stuckQuery(USERS[0]!), await stuckQuery(USERS[1]!), await stuckQuery(USERS[1]!)]
    for (const { head } of stuck) expect(head).toBe('HTTP/1.1 200 OK')
    await new Promise((r) => setTimeout(r, 3000))
    // Four results of ~600 MB each are waiting: what the server holds for them is the blocks in flight.
    const grown = process.memoryUsage().rss - before
    console.log(`server RSS grew by ${Math.round(grown / 2 ** 20)} MiB with four ~600 MB results unread`)
    expect(grown).toBeLessThan(400 * 1024 * 1024)

    const auth = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString('base64')}` })
    const third = await fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: auth(USERS[0]!) })
    expect([third.status, third.headers.get('x-clickhouse-exception-code'), third.headers.get('retry-after')]).toEqual([429, '202', '1'])
    expect(await third.text()).toMatch(/Too many simultaneous queries for user one@example.com/)
    const anyone = await fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: auth(USERS[2]!) })
    expect([anyone.status, anyone.headers.get('x-clickhouse-exception-code')]).toEqual([429, '202'])

    // Hanging up ends the queries in the engine and frees the places.
    expect(await runningQueries()).toBe(4)
    for (const { socket } of stuck) socket.destroy()
    await until(async () => (await runningQueries()) === 0)
    await until(async () => (await fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: auth(USERS[2]!) })).status === 200)
    const again = await Promise.all([fetch(`${server.url}/clickhouse?query=SELECT%202`, { headers: auth(USERS[0]!) }), fetch(`${server.url}/clickhouse?query=SELECT%203`, { headers: auth(USERS[0]!) })])
    expect(await Promise.all(again.map((r) => r.text()))).toEqual(['2\n', '3\n'])
  }, 60_000)

  it('sends a large result to a client that reads it, block by block', async () => {
    const response = await fetch(`${server.url}/clickhouse?query=${encodeURIComponent('SELECT number FROM numbers(3000000)')}`, {
      headers: { authorization: `Basic ${Buffer.from(`${USERS[2]}:${PASSWORD}`).toString('base64')}` },
    })
    let bytes = 0
    let chunks = 0
    const reader = response.body!.getReader()
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      bytes += read.value.length
      chunks++
    }
    // 0…2999999, one per line.
    let expected = 0
    for (let n = 0; n < 3_000_000; n++) expected += String(n).length + 1
    expect(bytes).toBe(expected)
    expect(chunks).toBeGreaterThan(1)
  })
})
