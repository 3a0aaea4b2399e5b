/**
 * Debian's Chromium driven by playwright-core, with every `*.test` host name mapped to this machine, so
 * test pages live on real-looking sites (not localhost) and talk to the real collector on another port.
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * A desktop Chrome on Linux. Headless Chromium's own User-Agent says HeadlessChrome, which the collector
 * (rightly) drops as a bot; it is set for the whole browser, since a context's override does not reach
 * beacons sent while a page unloads.
 */
export const VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium" (Debian), or set CHROMIUM_PATH`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without --enable-automation and this Blink feature, navigator.webdriver is false and the tracker counts us.
    ignoreDefaultArgs: ['--enable-automation'],
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-blink-features=AutomationControlled',
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
      `--user-agent=${VISITOR_UA}`,
    ],
  })
}

/** Serves whatever HTML `page(path)` returns (404 when it returns undefined), on a random port. */
export class PageServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(page: (url: URL) => string | undefined): Promise<PageServer> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
      const html = page(url)
      if (html === undefined) {
        res.writeHead(404).end('not found')
        return
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return new PageServer(server, (server.address() as AddressInfo).port)
  }

  url(host: string, path = '/'): string {
    return `http://${host}:${this.port}${path}`
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** Polls until `probe()` satisfies `done`, for at most `timeoutMs`; returns the last value. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs
  let value = await probe()
  while (!done(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100))
    value = await probe()
  }
  return value
}
