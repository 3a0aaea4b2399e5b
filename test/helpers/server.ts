/**
 * A real Cairn server on a random loopback port, on the real engine: embedded chDB in a fresh data
 * directory, or the ClickHouse server named by CLICKHOUSE_URL. Each helper instance uses its own site
 * names, so files can share a server without reading each other's rows.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { loadConfig, type Config } from '../../collector/host/config.ts'
import { silentLog, type Log } from '../../collector/ingest/log.ts'
import { startServer, type RunningServer } from '../../collector/host/server.ts'
import type { MailerOptions } from '../../dashboard/server/mail/mailer.ts'
import type { CollectorOptions } from '../../collector/host/app.ts'
import { openStorage, type Storage, type Transport } from '../../sql/client.ts'

export const serverMode = Boolean(process.env.CLICKHOUSE_URL)

export class Clock {
  constructor(public ms = Date.now()) {}
  /** Yesterday at 09:00 UTC: a test that moves hours on within one day must not cross midnight because of when it runs. */
  static morning(): Clock {
    return new Clock(Math.floor(Date.now() / DAY) * DAY - DAY + 9 * 60 * MINUTE)
  }
  now = () => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

export const MINUTE = 60_000
export const DAY = 86_400_000

/** A unique site name per test run: `name-<random>.test`. */
export function uniqueSite(name = 'site'): string {
  return `${name}-${randomBytes(4).toString('hex')}.test`
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'cairn-test-'))
}

export interface TestServerOptions {
  sites: string[]
  clock?: Clock
  env?: Record<string, string>
  dataDir?: string
  /** Wraps the embedded engine's transport, e.g. with an Outage. */
  wrapTransport?: (transport: Transport) => Transport
  /** Where the server logs (nowhere by default). */
  log?: Log
  /** How the mailer retries (short delays for tests of an SMTP outage). */
  mailer?: MailerOptions
  /** How long a report's claim waits for other schedulers'. */
  reportSettleMs?: number
  /** Seal rollups in the background as a server does (off: tests seal with `collector.sealer.tick()`). */
  sealRollups?: boolean
}

export class TestServer {
  private constructor(
    private readonly options: TestServerOptions & { dataDir: string },
    public server: RunningServer,
  ) {}

  static async start(options: TestServerOptions): Promise<TestServer> {
    const full = { ...options, dataDir: options.dataDir ?? tempDataDir() }
    return new TestServer(full, await startServer(TestServer.config(full), TestServer.collectorOptions(full)))
  }

  private static collectorOptions(options: TestServerOptions): CollectorOptions {
    return { now: options.clock?.now, log: options.log ?? silentLog, wrapTransport: options.wrapTransport, mailer: options.mailer, reportSettleMs: options.reportSettleMs, sealRollups: options.sealRollups ?? false }
  }

  private static config(options: TestServerOptions & { dataDir: string }): Config {
    return loadConfig({
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CAIRN_DATA_DIR: options.dataDir,
      CAIRN_SITES: options.sites.join(','),
      // Tests send far more from one address than a visitor would; the limiter has its own test.
      CAIRN_RATE_BURST: '1000000',
      ...options.env,
    })
  }

  get url(): string {
    return this.server.url
  }

  get dataDir(): string {
    return this.options.dataDir
  }

  get storage(): Storage {
    return this.server.collector.storage
  }

  /** POSTs an event body (an object is JSON-encoded) as the tracker does: text/plain, so no preflight. */
  post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': DESKTOP_CHROME, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  }

  /** Writes the queued batch now instead of waiting for the one-second timer. */
  flush(): Promise<void> {
    return this.server.collector.writer.flush()
  }

  async rows<T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.storage.query({ query, query_params: params, format: 'JSONEachRow' })
    return result.json<T>()
  }

  async stop(): Promise<void> {
    await this.server.close()
  }

  /** A graceful stop and a new server on the same data directory (and clock). */
  async restart(): Promise<void> {
    await this.server.close()
    this.server = await startServer(TestServer.config(this.options), TestServer.collectorOptions(this.options))
  }
}

/** Opens a data directory (or the server) after the server that held it has stopped. */
export function openDataDir(dataDir: string): Storage {
  return openStorage({ url: process.env.CLICKHOUSE_URL, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD, dataDir })
}

export const DESKTOP_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
export const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

export function pageview(site: string, path = '/', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { n: 'pageview', u: `https://${site}${path}`, d: site, ...extra }
}

/** The `Set-Cookie` headers of a response, each as sent. */
export function setCookies(response: Response): string[] {
  return response.headers.getSetCookie()
}
