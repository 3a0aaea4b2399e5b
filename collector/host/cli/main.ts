/** `cairn <command>`: the entry point of the bin and of `npm start`; each command is a file of this folder. */
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { UsageError } from './args.ts'
import * as cookies from './cookies.ts'
import * as demo from './demo.ts'
import * as keys from './keys.ts'
import * as privacyNotice from './privacy-notice.ts'
import * as privacy from './privacy.ts'
import * as serve from './serve.ts'
import * as shares from './shares.ts'
import * as sql from './sql.ts'
import * as users from './users.ts'

interface Command {
  /** Its lines of the help, also what `cairn <command> --help` prints. */
  usage: string
  run(config: Config, args: string[]): Promise<void>
}

const COMMANDS: Record<string, Command> = { serve, demo, users, keys, shares, privacy, sql, cookies, 'privacy-notice': privacyNotice }

const HELP = `Usage: cairn <command> [options]

Commands:
${Object.values(COMMANDS).map((c) => c.usage).join('\n')}
  help                                  Show this help; "cairn COMMAND --help" shows one command's

Configuration is read from the environment; see README.md ("Configuration"). With the embedded engine,
commands other than serve need the server stopped (one process holds the data directory).
`

async function main(argv: string[]): Promise<void> {
  const [name = 'serve', ...args] = argv
  if (name === 'help' || name === '--help' || name === '-h') return void process.stdout.write(HELP)
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${HELP}`)
  if (args.includes('--help') || args.includes('-h')) return void process.stdout.write(`Usage:\n${command.usage}\n`)
  return command.run(loadConfig(), args)
}

main(process.argv.slice(2)).catch((error: Error) => {
  const kind = error instanceof ConfigError ? 'configuration error: ' : ''
  process.stderr.write(`cairn: ${kind}${error.message}\n`)
  process.exit(error instanceof ConfigError || error instanceof UsageError ? 2 : 1)
})
