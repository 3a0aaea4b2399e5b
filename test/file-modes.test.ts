/**
 * What another local user could read: nothing of Cairn's data directory (it holds password hashes and
 * today's salt), even one an earlier version created open; and the first admin's password is said to
 * the terminal, or put in an owner-only file, never in the log.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DESKTOP_CHROME, tempDataDir } from './helpers/server.ts'

const ROOT = join(import.meta.dirname, '..')
const children: ChildProcess[] = []
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')))

/** Starts `cairn serve` as a service manager would (no terminal), or under `script` (a terminal). */
function serve(dataDir: string, terminal: boolean): { child: ChildProcess; output: () => string; url: Promise<string> } {
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', CAIRN_DATA_DIR: dataDir, CAIRN_SITES: 'modes.example' }
  const command = [process.execPath, join(ROOT, 'collector/bin/cairn.js'), 'serve']
  const child = terminal
    ? spawn('script', ['-qfec', command.join(' '), '/dev/null'], { env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(command[0]!, command.slice(1), { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match && /first start/i.test(output)) {
        clearInterval(timer)
        resolve(match[1]!.replace('localhost', '127.0.0.1'))
      }
    }, 50)
    child.once('exit', (code) => {
      clearInterval(timer)
      reject(new Error(`exited with ${code}: ${output}`))
    })
  })
  return { child, output: () => output, url }
}

function entriesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const stat = statSync(path, { throwIfNoEntry: false })
    return !stat ? [] : stat.isDirectory() ? [path, ...entriesUnder(path)] : [path]
  })
}

const stopped = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))

describe('without a terminal', () => {
  it('keeps every file and directory to its own user, closes a directory left open, and writes the password to an owner-only file', async () => {
    const dataDir = tempDataDir()
    mkdirSync(dataDir, { recursive: true, mode: 0o755 })
    const { child, output, url } = serve(dataDir, false)
    const base = await url
    const event = await fetch(`${base}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': DESKTOP_CHROME },
      body: JSON.stringify({ n: 'pageview', u: 'https://modes.example/', d: 'modes.example' }),
    })
    expect(event.status).toBe(202)

    const file = join(dataDir, 'first-admin-password')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const password = readFileSync(file, 'utf8').trim()
    expect(password.length).toBeGreaterThanOrEqual(16)
    expect(output()).not.toContain(password)
    expect(output()).toContain(file)
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password }) })
    expect(login.status).toBe(200)

    await new Promise((r) => setTimeout(r, 1500)) // a batch written, a segment sealed
    child.kill('SIGTERM')
    await stopped(child)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    const entries = entriesUnder(dataDir)
    expect(entries.length).toBeGreaterThan(20)
    const open = entries.filter((path) => (statSync(path).mode & 0o077) !== 0)
    expect(open, 'readable or writable by group or others').toEqual([])
  }, 60_000)
})

describe('on a terminal', () => {
  it('shows the password there, once, and writes no file', async () => {
    const dataDir = tempDataDir()
    const { child, output, url } = serve(dataDir, true)
    await url
    const password = /with the password (\S+)/.exec(output())?.[1]
    expect(password).toMatch(/^[\w-]{16}$/)
    expect(output()).toContain('shown once, not logged')
    expect(existsSync(join(dataDir, 'first-admin-password'))).toBe(false)
    child.kill('SIGTERM')
    await stopped(child)
  }, 60_000)
})
