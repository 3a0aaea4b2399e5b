/** `cairn keys`: stats API keys, which act for a user with the user's roles. */
import { Access } from '../../../dashboard/server/auth/access.ts'
import type { Config } from '../config.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'
import { withStorage } from './storage.ts'

export const usage: Usage = [
  ['keys add --user EMAIL [--name NAME]', 'cli.usage.keysAdd'],
  ['keys list [--user EMAIL]', 'cli.usage.keysList'],
  ['keys revoke PREFIX', 'cli.usage.keysRevoke'],
]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { user: { type: 'string' }, name: { type: 'string' } })
  const [sub, prefix] = positionals
  if (sub === 'list') {
    const keys = await withStorage(config, (storage) => new Access(storage).apiKeys(values.user))
    for (const k of keys) process.stdout.write(`${k.prefix}…\t${k.email}\t${k.name}\t${k.created_at}\n`)
    return
  }
  if (sub === 'revoke' && prefix) {
    const revoked = await withStorage(config, (storage) => new Access(storage).revokeKey(prefix.replace(/…$/, '')))
    if (revoked === 0) throw new UsageError(say('cli.keys.none', { prefix }))
    process.stdout.write(`${say('cli.keys.revoked', { count: revoked, prefix })}\n`)
    return
  }
  if (sub !== 'add' || !values.user) throw new UsageError(usageOf(usage))
  const key = await withStorage(config, async (storage) => {
    const access = new Access(storage)
    if (!(await access.passwordHash(values.user!))) throw new UsageError(say('cli.keys.noUser', { email: values.user! }))
    return access.createApiKey(values.user!, values.name ?? 'api')
  })
  process.stdout.write(`${say('cli.keys.created', { email: values.user, key, example: `curl -H "Authorization: Bearer ${key}" http://localhost:${config.port}/api/stats/SITE/aggregate` })}\n`)
}
