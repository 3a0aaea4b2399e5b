/** What every command shares: its usage errors, its option parsing, whole-number flags. */
import { parseArgs } from 'node:util'

/** A mistake in how the command was called: exit 2, with what to type instead. */
export class UsageError extends Error {}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options']

/** parseArgs, with its complaints (an unknown option, a missing value) as usage errors that show the command's usage. */
export function parse<O extends Options>(usage: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\nUsage:\n${usage}`)
  }
}

/** A whole-number flag within bounds, or a usage error naming it. */
export function integerFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}, not "${value}"`)
  return n
}
