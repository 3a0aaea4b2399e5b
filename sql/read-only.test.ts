/**
 * The analysts' client on a ClickHouse server, checked by what it sends (no server runs here): the
 * `cairn` database, read-only with the limits, parameters as the text given, and a query the server
 * cancels when the client goes away.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openReadOnly } from './client.ts'

const requests: { url: URL; body: string; closed: Promise<void> }[] = []
let hold = false
const server = createServer((req: IncomingMessage, res) => {
  let body = ''
  req.on('data', (d: Buffer) => (body += d))
  const closed = new Promise<void>((resolve) => res.once('close', () => resolve()))
  req.on('end', () => {
    requests.push({ url: new URL(req.url!, 'http://x'), body, closed })
    if (!hold) res.writeHead(200, { 'content-type': 'text/plain', 'x-clickhouse-format': 'TabSeparated' }).end('1\n')
  })
})
let url = ''

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

describe('openReadOnly on a ClickHouse server', () => {
  it('asks for read-only within the limits, in cairn, with parameters as given', async () => {
    const client = openReadOnly({ url, dataDir: '' })
    const result = await client.exec({ query: 'SELECT {s:String}', clickhouse_settings: { param_s: "o\\'k", default_format: 'JSON' } })
    result.stream.destroy()
    const [request] = requests.splice(0)
    const params = request!.url.searchParams
    expect(params.get('database')).toBe('cairn')
    expect(params.get('param_s')).toBe("o\\'k")
    expect(params.get('default_format')).toBe('JSON')
    expect(params.get('cancel_http_readonly_queries_on_client_close')).toBe('1')
    expect([params.get('max_execution_time'), params.get('max_memory_usage'), params.get('max_result_bytes')]).toEqual(['60', '2000000000', '1000000000'])
    // readonly comes after the limits: once set, it would forbid them.
    const names = [...params.keys()]
    expect(names.indexOf('readonly')).toBeGreaterThan(names.indexOf('max_result_bytes'))
    expect(params.get('readonly')).toBe('1')
    expect(request!.body).toBe('SELECT {s:String}')
    await client.close()
  })

  it('drops the connection when the caller aborts, so the server cancels the query', async () => {
    hold = true
    const client = openReadOnly({ url, dataDir: '' })
    const abort = new AbortController()
    const pending = client.exec({ query: 'SELECT sleep(3)', abort_signal: abort.signal })
    while (requests.length === 0) await new Promise((r) => setTimeout(r, 10))
    abort.abort()
    await expect(pending).rejects.toThrow()
    await requests[0]!.closed
    hold = false
    await client.close()
  })
})
