/**
 * Acceptance from the outside: `npm start` as a newcomer runs it, events posted to it, a graceful stop,
 * then the rows read back, and every file under the data directory and every line the server printed
 * searched for the full client addresses (invariant 1).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP_CHROME, openDataDir, serverMode, tempDataDir, uniqueSite } from './helpers/server.ts'

const FULL_V4 = '203.0.113.77'
const FULL_V6 = '2001:db8:abcd:1234:5678:9abc:def0:1357'
const dataDir = tempDataDir()
const site = serverMode ? uniqueSite('start') : 'localhost'
let child: ChildProcess
let output = ''
let url = ''

beforeAll(async () => {
  child = spawn('npm', ['start'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CAIRN_DATA_DIR: dataDir, TRUST_PROXY: 'true', ...(serverMode ? { CAIRN_SITES: site } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!.replace('localhost', '127.0.0.1'))
      }
    }
    child.stdout!.on('data', check)
    child.stderr!.on('data', check)
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
  })
}, 60_000)

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL')
})

function post(ip: string, path: string, consent: boolean): Promise<Response> {
  return fetch(`${url}/api/event`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': DESKTOP_CHROME, 'x-forwarded-for': `10.0.0.1, ${ip}` },
    body: JSON.stringify({ n: 'pageview', u: `http://${site}${path}?ip=truncated`, d: site, c: consent }),
  })
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const stat = statSync(path, { throwIfNoEntry: false })
    return !stat ? [] : stat.isDirectory() ? filesUnder(path) : [path]
  })
}

describe('npm start', () => {
  it('serves, takes events, and has them in cairn.events after SIGTERM', async () => {
    expect((await post(FULL_V4, '/v4', false)).status).toBe(202)
    expect((await post(FULL_V6, '/v6', true)).status).toBe(202)
    expect((await post(`[${FULL_V6}]:4711`, '/v6-port', false)).status).toBe(202)

    const exited = new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])))
    child.kill('SIGTERM')
    // npm forwards the signal to cairn, waits for it, then ends itself by the same signal.
    expect(await exited).toSatisfy(([code, signal]) => code === 0 || signal === 'SIGTERM')
    expect(output).toMatch(/SIGTERM: stopping/)
    expect(output).toMatch(/info stopped/)

    const storage = openDataDir(dataDir)
    try {
      const result = await storage.query({
        query: 'SELECT pathname, toString(ip_truncated) AS ip FROM cairn.events WHERE site = {site:String} ORDER BY pathname',
        query_params: { site },
        format: 'JSONEachRow',
      })
      expect(await result.json()).toEqual([
        { pathname: '/v4', ip: '::ffff:203.0.113.0' },
        { pathname: '/v6', ip: '2001:db8:abcd::' },
        { pathname: '/v6-port', ip: '2001:db8:abcd::' },
      ])
      // Every row of every table, as text: no full address.
      for (const table of ['events', 'sessions', 'sessions_data', 'salts']) {
        const dump = await (await storage.query({ query: `SELECT * FROM cairn.${table}`, format: "TabSeparated" })).text()
        expect(dump).not.toContain(FULL_V4)
        expect(dump.toLowerCase()).not.toContain('def0:1357')
      }
    } finally {
      await storage.close()
    }
  })

  it('wrote no full address to any file under the data directory or to its output', () => {
    expect(output).not.toContain(FULL_V4)
    expect(output).not.toContain('def0:1357')
    if (serverMode) return
    const needles = [
      Buffer.from(FULL_V4),
      Buffer.from('def0:1357'),
      // The 16 bytes an IPv6 column holds for each full address (IPv4 mapped), and the last 8 of the IPv6 one.
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 77]),
      Buffer.from('20010db8abcd123456789abcdef01357', 'hex'),
      Buffer.from('56789abcdef01357', 'hex'),
    ]
    const files = filesUnder(dataDir)
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const content = readFileSync(file)
      for (const needle of needles) expect(content.includes(needle), `${file} holds ${needle.toString('hex')}`).toBe(false)
    }
    // The search can fail: it does find what the rows hold, such as a page path.
    expect(files.some((f) => readFileSync(f).includes(Buffer.from('/v6-port')))).toBe(true)
  })
})
