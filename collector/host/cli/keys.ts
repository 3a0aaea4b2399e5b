/** `cairn keys`: stats API keys, which act for a user with the user's roles. */
import { Access } from '../../../dashboard/server/auth/access.ts'
import type { Config } from '../config.ts'
import { UsageError, parse } from './args.ts'
import { withStorage } from './storage.ts'

export const usage = `  keys add --user EMAIL [--name NAME]   Create a stats API key acting for a user
  keys list [--user EMAIL]              List API keys (their first characters, owner, name, date)
  keys revoke PREFIX                    Revoke the API key that starts with PREFIX`

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
    if (revoked === 0) throw new UsageError(`no API key starts with ${prefix}; "cairn keys list" shows them`)
    process.stdout.write(`revoked ${revoked} API key${revoked === 1 ? '' : 's'} starting with ${prefix}\n`)
    return
  }
  if (sub !== 'add' || !values.user) throw new UsageError(`Usage:\n${usage}`)
  const key = await withStorage(config, async (storage) => {
    const access = new Access(storage)
    if (!(await access.passwordHash(values.user!))) throw new UsageError(`no user ${values.user}; create it with "cairn users add"`)
    return access.createApiKey(values.user!, values.name ?? 'api')
  })
  process.stdout.write(`API key for ${values.user} (shown once): ${key}\nUse it as: curl -H "Authorization: Bearer ${key}" http://localhost:${config.port}/api/stats/SITE/aggregate\n`)
}
