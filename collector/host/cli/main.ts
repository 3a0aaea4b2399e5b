/** `cairn <command>`: the entry point of the bin and of `npm start`; each command is a file of this folder. */
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { HttpError } from '../../../dashboard/server/http-error.ts'
import { UsageError, say, usageOf, usageText, wrap, type Usage } from './args.ts'
import { ApiError } from './api.ts'
import * as backup from './backup.ts'
import * as cookies from './cookies.ts'
import * as demo from './demo.ts'
import * as exportCommand from './export.ts'
import * as goals from './goals.ts'
import * as importCommand from './import.ts'
import * as keys from './keys.ts'
import * as privacyNotice from './privacy-notice.ts'
import * as privacy from './privacy.ts'
import * as reports from './reports.ts'
import * as restore from './restore.ts'
import * as rollups from './rollups.ts'
import * as serve from './serve.ts'
import * as shares from './shares.ts'
import * as sites from './sites.ts'
import * as sql from './sql.ts'
import * as users from './users.ts'

interface Command {
  /** Its lines of the help, also what `cairn <command> --help` prints. */
  usage: Usage
  run(config: Config, args: string[]): Promise<void>
}

const COMMANDS: Record<string, Command> = { serve, sites, goals, users, keys, shares, reports, privacy, demo, export: exportCommand, import: importCommand, backup, restore, rollups, sql, cookies, 'privacy-notice': privacyNotice }

const HELP = `${say('cli.help.title')}

${say('cli.help.commands')}
${usageText([...Object.values(COMMANDS).flatMap((c) => c.usage), ['help', 'cli.usage.help']])}

${wrap(say('cli.help.footer'), 106).join('\n')}
`

/** A refusal of the code the server shares (an invalid email, a short password), in the terminal's language. */
const said = (error: HttpError) =>
  error.errors ? Object.entries(error.errors).map(([field, problem]) => say('cli.fieldError', { field, problem: say(...problem) })).join('; ') : say(...error.said)

async function main(argv: string[]): Promise<void> {
  const [name = 'serve', ...args] = argv
  if (name === 'help' || name === '--help' || name === '-h') return void process.stdout.write(HELP)
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`${say('cli.unknownCommand', { name })}\n\n${HELP}`)
  if (args.includes('--help') || args.includes('-h')) return void process.stdout.write(`${usageOf(command.usage)}\n`)
  return command.run(loadConfig(), args)
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`cairn: ${error instanceof ConfigError ? say('cli.configError', { message: error.message }) : error instanceof HttpError ? said(error) : error.message}\n`)
  // A refusal (a mistake in the command, or a 4xx of the API) exits 2; a failure exits 1.
  const refused = error instanceof ConfigError || error instanceof UsageError || error instanceof HttpError || (error instanceof ApiError && error.status < 500)
  process.exit(refused ? 2 : 1)
})
