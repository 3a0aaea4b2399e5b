/** `cairn <command>`: the entry point of the bin and of `npm start`. */
import { describeStorage } from '../sql/client.ts'
import { ConfigError, loadConfig } from './config.ts'
import { consoleLog } from './log.ts'
import { startServer } from './server.ts'

const HELP = `Usage: cairn <command>

Commands:
  serve     Run the Cairn server: collector, tracker script and APIs (default)
  help      Show this help

Configuration is read from the environment; see README.md ("Configuration").
`

async function serveCommand(): Promise<void> {
  const log = consoleLog()
  const config = loadConfig()
  log.info(`starting Cairn on ${describeStorage({ url: config.clickhouseUrl, dataDir: config.dataDir })}`)
  const server = await startServer(config, { log })
  log.info(`listening on ${server.url} for sites: ${config.sites.join(', ')}`)
  const stop = (signal: string) => {
    log.info(`${signal}: stopping, flushing ${server.collector.writer.queued} queued events`)
    server.close().then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (error: Error) => {
        log.error(`stopping failed: ${error.message}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve'] = argv
  switch (command) {
    case 'serve':
      return serveCommand()
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP)
      return
    default:
      process.stderr.write(`cairn: unknown command "${command}"\n\n${HELP}`)
      process.exitCode = 2
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  if (error instanceof ConfigError) process.stderr.write(`cairn: configuration error: ${error.message}\n`)
  else process.stderr.write(`cairn: ${error.message}\n`)
  process.exit(error instanceof ConfigError ? 2 : 1)
})
