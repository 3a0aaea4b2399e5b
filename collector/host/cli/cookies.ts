/** `cairn cookies`: the cookie declaration for the site's privacy policy, in English or French. */
import { LANGUAGES } from '../../../dashboard/i18n/languages.ts'
import type { Config } from '../config.ts'
import { cookieDeclaration, retentionWarning } from '../declaration.ts'
import { choiceFlag, language, parse, type Usage } from './args.ts'

export const usage: Usage = [['cookies [--format markdown|html] [--lang en|fr]', 'cli.usage.cookies']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { format: { type: 'string', default: 'markdown' }, lang: { type: 'string', default: language } })
  const format = choiceFlag(values.format, 'format', ['markdown', 'html'])
  // The visitors' language, which need not be the terminal's.
  process.stdout.write(cookieDeclaration(config, format, choiceFlag(values.lang, 'lang', LANGUAGES)))
  const warning = retentionWarning(config, language)
  if (warning) process.stderr.write(`${warning}\n`)
}
