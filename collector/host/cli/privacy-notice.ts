/** `cairn privacy-notice`: a plain-language paragraph of what Cairn collects, for the privacy policy. */
import type { Config } from '../config.ts'
import { privacyNotice } from '../declaration.ts'
import { UsageError, parse } from './args.ts'

export const usage = `  privacy-notice [--format text|html]   Print a plain-language paragraph of what Cairn collects`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { format: { type: 'string', default: 'text' } })
  if (values.format !== 'text' && values.format !== 'html') throw new UsageError('--format must be text or html')
  process.stdout.write(privacyNotice(config, values.format))
}
