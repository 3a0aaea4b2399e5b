/** `cairn cookies`: the cookie declaration for the site's privacy policy. */
import type { Config } from '../config.ts'
import { cookieDeclaration } from '../declaration.ts'
import { UsageError, parse } from './args.ts'

export const usage = `  cookies [--format markdown|html]      Print the cookie declaration for the site's privacy policy`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { format: { type: 'string', default: 'markdown' } })
  if (values.format !== 'markdown' && values.format !== 'html') throw new UsageError('--format must be markdown or html')
  process.stdout.write(cookieDeclaration(config, values.format))
}
