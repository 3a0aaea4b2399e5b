/** The one Cairn HTTP server around the collector, with a graceful stop. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCollector, type Collector, type CollectorOptions } from './app.ts'
import type { Config } from './config.ts'
import { terminalLanguage, translator } from '../../dashboard/i18n/translate.ts'
import { closeSocket, listenOnSocket } from './socket.ts'

export interface RunningServer {
  url: string
  port: number
  collector: Collector
  /** Stops accepting, lets in-flight requests finish, flushes queued events, closes ClickHouse. */
  close(): Promise<void>
}

export async function startServer(config: Config, options: CollectorOptions = {}): Promise<RunningServer> {
  const collector = await createCollector(config, options)
  const server = await new Promise<Server>((resolve, reject) => {
    // A client that trickles its headers or body is cut off instead of holding a socket: the limits are
    // checked every second (Node's default is every 30 s, which lets a slow client stay up to 40 s).
    const s = createServer({ headersTimeout: 10_000, requestTimeout: 15_000, connectionsCheckingInterval: 1000 }, collector.listener)
    s.once('error', reject)
    s.listen(config.port, config.host, () => resolve(s))
  }).catch(async (error: NodeJS.ErrnoException) => {
    await collector.close()
    if (error.code === 'EADDRINUSE') throw new Error(translator(terminalLanguage())('cli.serve.portInUse', { port: config.port }))
    throw error
  })
  const operator = await listenOnSocket(config.dataDir, collector.listener, (message) => options.log?.error(message)).catch(async (error: Error) => {
    server.close()
    await collector.close()
    throw error
  })
  const port = (server.address() as AddressInfo).port
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${port}`,
    port,
    collector,
    close() {
      closing ??= (async () => {
        await Promise.all([
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeIdleConnections()
          }),
          closeSocket(operator, config.dataDir),
        ])
        await collector.close()
      })()
      return closing
    },
  }
}
