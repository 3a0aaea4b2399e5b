/**
 * Nothing acknowledged is lost: `cairn serve` is killed with SIGKILL in the middle of ingest and started
 * again; every event answered 202 is then in ClickHouse exactly once, and the spool held only truncated
 * addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DESKTOP_CHROME, openDataDir, serverMode, tempDataDir } from './helpers/server.ts'

const SITE = 'durable.example'
const dataDir = tempDataDir()

async function start(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['collector/bin/cairn.js', 'serve'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CAIRN_DATA_DIR: dataDir, CAIRN_SITES: SITE, TRUST_PROXY: 'true', CAIRN_RATE_BURST: '1000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 30_000)
    child.stderr!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  return { child, url, output: () => output }
}

const exited = (child: ChildProcess) =>
  new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)))

describe.skipIf(serverMode)('durable ingest', () => {
  it('keeps every 202 through a SIGKILL, without duplicates', async () => {
    const first = await start()
    const accepted = new Set<string>()
    let killed = false
    const send = async (i: number) => {
      try {
        const response = await fetch(`${first.url}/api/event`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'user-agent': DESKTOP_CHROME, 'x-forwarded-for': `203.0.113.${i % 200}` },
          body: JSON.stringify({ n: 'pageview', u: `https://${SITE}/p${i}`, d: SITE }),
          signal: AbortSignal.timeout(5000),
        })
        if (response.status === 202) accepted.add(`/p${i}`)
      } catch {
        // the connection died with the process: not acknowledged, not counted
      }
    }
    // Eight senders in parallel; the process is killed while they run.
    const senders = Array.from({ length: 8 }, async (_, s) => {
      for (let i = s; !killed; i += 8) await send(i)
    })
    await new Promise((r) => setTimeout(r, 2500))
    first.child.kill('SIGKILL')
    killed = true
    await Promise.all(senders)
    await exited(first.child)
    expect(accepted.size).toBeGreaterThan(100)

    // What the spool holds: truncated addresses only.
    const spoolDir = join(dataDir, 'spool')
    const spooled = readdirSync(spoolDir).map((f) => readFileSync(join(spoolDir, f), 'utf8')).join('')
    expect(spooled).not.toMatch(/203\.0\.113\.(?!0")\d+/)

    expect(readdirSync(spoolDir).length).toBeGreaterThan(0) // acknowledged, not yet written when killed
    const second = await start()
    expect(second.output()).toMatch(/replayed \d+ events from the spool/)
    second.child.kill('SIGTERM')
    await exited(second.child)
    expect(readdirSync(spoolDir)).toEqual([])

    const storage = openDataDir(dataDir)
    try {
      const rows = await (
        await storage.query({ query: 'SELECT pathname, count() AS n FROM cairn.events WHERE site = {site:String} GROUP BY pathname', query_params: { site: SITE }, format: 'JSONEachRow' })
      ).json<{ pathname: string; n: string }>()
      // Every event answered 202 is there, once (each was sent to a path of its own).
      const stored = new Map(rows.map((r) => [r.pathname, Number(r.n)]))
      expect([...accepted].filter((path) => stored.get(path) !== 1)).toEqual([])
      expect(rows.every((r) => r.n === '1')).toBe(true)
      // Besides them, at most the requests in flight when the process died (one per sender): written to
      // the spool, killed before their 202 went out. Their senders would send them again.
      expect(rows.length - accepted.size).toBeLessThanOrEqual(8)
    } finally {
      await storage.close()
    }
  }, 90_000)
})
