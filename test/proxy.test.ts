/**
 * Behind the documented proxy, a client cannot choose the address Cairn counts: only the entry the proxy
 * wrote in X-Forwarded-For is believed, never a Forwarded header. Checked on the server with TRUST_PROXY,
 * then through the real nginx and Caddy running the shipped snippets (.ci/run installs both).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP_CHROME, TestServer, pageview } from './helpers/server.ts'

const SITE = 'proxied.example'
const ROOT = join(import.meta.dirname, '..')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE], env: { TRUST_PROXY: '1' } })
})
afterAll(() => server.stop())

/** Distinct visitors and addresses among the events of a path. */
async function counted(path: string): Promise<{ visitors: string; addresses: string[] }> {
  await server.flush()
  const [row] = await server.rows<{ visitors: string; addresses: string[] }>(
    'SELECT toString(uniqExact(visitor_id)) AS visitors, groupUniqArray(toString(ip_truncated)) AS addresses FROM cairn.events WHERE site = {site:String} AND pathname = {path:String}',
    { site: SITE, path },
  )
  return row!
}

/** 150 requests from one client, each claiming another address in Forwarded and in its own X-Forwarded-For. */
async function spoof(base: string, path: string, proxyEntry?: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const claimed = `203.0.${i}.7`
    const response = await fetch(base, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'user-agent': DESKTOP_CHROME,
        forwarded: `for=${claimed};proto=https`,
        // What nginx with $proxy_add_x_forwarded_for would pass on: the client's claim, then what it saw.
        'x-forwarded-for': proxyEntry ? `${claimed}, ${proxyEntry}` : claimed,
      },
      body: JSON.stringify(pageview(SITE, path)),
    })
    expect(response.status).toBe(202)
  }
}

describe('TRUST_PROXY', () => {
  it('counts one visitor however many addresses the client claims in Forwarded', async () => {
    await spoof(`${server.url}/api/event`, '/direct', '198.51.100.23')
    expect(await counted('/direct')).toEqual({ visitors: '1', addresses: ['::ffff:198.51.100.0'] })
  })
})

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited: ${output()}`)
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`did not listen: ${output()}`)
}

function start(command: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  let output = ''
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  return { child, output: () => output }
}

describe.skipIf(!existsSync('/usr/sbin/nginx'))('the shipped nginx snippet', () => {
  let proxy: ReturnType<typeof start>
  let port = 0
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-nginx-'))
    chmodSync(dir, 0o755)
    port = await freePort()
    const snippet = readFileSync(join(ROOT, 'docs/deploy/nginx.conf'), 'utf8').replace('127.0.0.1:8080', `127.0.0.1:${server.server.port}`)
    writeFileSync(join(dir, 'cairn.conf'), snippet)
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ')
    writeFileSync(join(dir, 'nginx.conf'), `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {}
      http { access_log off; ${temp} server { listen 127.0.0.1:${port}; include ${dir}/cairn.conf; } }`)
    proxy = start('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir])
    await waitForPort(port, proxy.child, proxy.output)
  })
  afterAll(() => proxy?.child.kill())

  it('hands Cairn the address nginx saw, whatever the client sent', async () => {
    await spoof(`http://127.0.0.1:${port}/cairn/api/event`, '/through-nginx')
    expect(await counted('/through-nginx')).toEqual({ visitors: '1', addresses: ['::ffff:127.0.0.0'] })
  })
})

describe.skipIf(!existsSync('/usr/bin/caddy'))('the shipped Caddyfile', () => {
  let proxy: ReturnType<typeof start>
  let port = 0
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-caddy-'))
    port = await freePort()
    const site = readFileSync(join(ROOT, 'docs/deploy/Caddyfile'), 'utf8')
      .replace(/^stats\.example\.com \{[\s\S]*$/m, '')
      .replace('example.com {', `{\n\tadmin off\n}\nhttp://127.0.0.1:${port} {`)
      .replace('cairn:8080', `127.0.0.1:${server.server.port}`)
    writeFileSync(join(dir, 'Caddyfile'), site)
    proxy = start('/usr/bin/caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir })
    await waitForPort(port, proxy.child, proxy.output)
  })
  afterAll(() => proxy?.child.kill())

  it('hands Cairn the address Caddy saw, whatever the client sent', async () => {
    await spoof(`http://127.0.0.1:${port}/cairn/api/event`, '/through-caddy')
    expect(await counted('/through-caddy')).toEqual({ visitors: '1', addresses: ['::ffff:127.0.0.0'] })
  })
})
