/** `cairn keys`: stats API keys, which act for a user with the user's roles, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [
  ['keys add --user EMAIL [--name NAME]', 'cli.usage.keysAdd'],
  ['keys list [--user EMAIL]', 'cli.usage.keysList'],
  ['keys revoke PREFIX', 'cli.usage.keysRevoke'],
]

type Key = { prefix: string; email: string; name: string; created_at: string }

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { user: { type: 'string' }, name: { type: 'string' } })
  const [sub, prefix] = positionals
  if (sub === 'list') {
    const { keys } = await withApi(config, (api) => api.call<{ keys: Key[] }>('GET', '/api/keys?all=1'))
    for (const k of keys.filter((k) => !values.user || k.email === values.user)) process.stdout.write(`${k.prefix}…\t${k.email}\t${k.name}\t${k.created_at}\n`)
    return
  }
  if (sub === 'revoke' && prefix) {
    await withApi(config, (api) => api.call('DELETE', `/api/keys/${encodeURIComponent(prefix.replace(/…$/, ''))}`))
    process.stdout.write(`${say('cli.keys.revoked', { count: 1, prefix })}\n`)
    return
  }
  if (sub !== 'add' || !values.user) throw new UsageError(usageOf(usage))
  const { key } = await withApi(config, (api) => api.call<{ key: string }>('POST', '/api/keys', { email: values.user, name: values.name ?? 'api' }))
  process.stdout.write(`${say('cli.keys.created', { email: values.user, key, example: `curl -H "Authorization: Bearer ${key}" http://localhost:${config.port}/api/stats/SITE/aggregate` })}\n`)
}
