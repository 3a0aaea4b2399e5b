/**
 * `cairn serve` as `npm start` runs it, in a process of its own, for the benchmarks: started on a data
 * directory, read for its peak memory, stopped with SIGTERM (which flushes what is queued).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Access } from '../dashboard/server/auth/access.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { openStorage } from '../sql/client.ts'
import { migrate } from '../sql/migrate.ts'

export interface CairnProcess {
  url: string
  pid: number
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakRssMiB(): number
  stop(): Promise<void>
}

/** Before the server holds the data directory: the schema and an API key of an admin of every site. */
export async function prepareDataDir(dataDir: string, site = '*'): Promise<string> {
  const storage = openStorage({ dataDir })
  try {
    await migrate(storage)
    const access = new Access(storage)
    await addUser(access, 'bench@example.com', 'bench password', 'admin', site)
    return await access.createApiKey('bench@example.com', 'bench')
  } finally {
    await storage.close()
  }
}

export async function startCairn(dataDir: string, env: Record<string, string>): Promise<CairnProcess> {
  const server = spawn(process.execPath, [fileURLToPath(new URL('../collector/bin/cairn.js', import.meta.url)), 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CAIRN_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  return { ...(await listening(server)), pid: server.pid!, peakRssMiB: () => peakRssMiB(server.pid!), stop: () => stop(server) }
}

/** The URL a child prints once it listens; the child does not outlive the benchmark. */
export function listening(child: ChildProcess): Promise<{ url: string }> {
  process.on('exit', () => child.kill('SIGKILL'))
  return new Promise((resolve, reject) => {
    let output = ''
    child.stderr!.on('data', (d: Buffer) => {
      output += d
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) resolve({ url: match[1]! })
    })
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}: ${output}`)))
  })
}

export function peakRssMiB(pid: number): number {
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  return kib / 1024
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  return exited
}

/** ClickHouse's answer to one query, through the server's read-only door with the bench key. */
export async function sql(cairn: { url: string }, key: string, query: string): Promise<string> {
  const response = await fetch(`${cairn.url}/clickhouse?query=${encodeURIComponent(query)}`, { headers: { 'X-ClickHouse-User': 'bench@example.com', 'X-ClickHouse-Key': key } })
  const text = await response.text()
  if (!response.ok) throw new Error(`${query}: ${response.status} ${text}`)
  return text.trim()
}
