/**
 * What every command shares: the terminal's language, its usage lines and errors, its option parsing,
 * whole-number flags. The CLI speaks the language of the POSIX locale (LC_ALL, LC_MESSAGES, LANG), from
 * the catalogues of dashboard/i18n; what it logs while serving stays English (logs are searched, not read).
 */
import { parseArgs } from 'node:util'
import { terminalLanguage, translator, type Values } from '../../../dashboard/i18n/translate.ts'

export const language = terminalLanguage()
export const say = translator(language)

/** A mistake in how the command was called: exit 2, with what to type instead. */
export class UsageError extends Error {}

/** A command's lines of the help: each form of the command, and the catalogue key that says what it does. */
export type Usage = readonly (readonly [synopsis: string, key: string, values?: Values])[]

const SYNOPSIS_WIDTH = 38
const LINE_WIDTH = 108

/** Text broken into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  for (const word of text.split(' ')) {
    const last = lines.length - 1
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ' ' + word
    else lines.push(word)
  }
  return lines
}

/** The usage lines, the description beside the synopsis (or under it when it is long), wrapped. */
export function usageText(usage: Usage): string {
  return usage
    .map(([synopsis, key, values]) => {
      const lines = wrap(say(key, values), LINE_WIDTH - SYNOPSIS_WIDTH - 4)
      const indent = ' '.repeat(SYNOPSIS_WIDTH + 2)
      const head = `  ${synopsis}`
      const first = head.length <= SYNOPSIS_WIDTH ? `${head.padEnd(SYNOPSIS_WIDTH + 2)}${lines.shift()}` : `${head}\n${indent}${lines.shift()}`
      return [first, ...lines.map((l) => indent + l)].join('\n')
    })
    .join('\n')
}

/** "Usage:" and the command's lines, for its --help and its usage errors. */
export const usageOf = (usage: Usage) => `${say('cli.usage')}\n${usageText(usage)}`

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options']

/** parseArgs, with its complaints (an unknown option, a missing value) as usage errors that show the command's usage. */
export function parse<O extends Options>(usage: Usage, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's own complaint ("Unknown option '--rol'") is English; the usage that follows is not.
    throw new UsageError(`${(error as Error).message}\n\n${usageOf(usage)}`)
  }
}

/** A whole-number flag within bounds, or a usage error naming it. */
export function integerFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(say('cli.integerFlag', { name, min, max, value }))
  return n
}

/** A flag that must be one of `choices`. */
export function choiceFlag<T extends string>(value: string | undefined, name: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new UsageError(say('cli.choiceFlag', { name, choices: choices.join(', '), value: value ?? '' }))
  return value as T
}
