/** `cairn users`: dashboard users and their roles per site, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [
  ['users add EMAIL [--role admin|viewer] [--site SITE|*] [--password P]', 'cli.usage.usersAdd'],
  ['users list', 'cli.usage.usersList'],
  ['users remove EMAIL [--site SITE|*]', 'cli.usage.usersRemove'],
]

const roleOn = (role: string, site: string) => say('cli.users.roleOn', { role, site, every: site === '*' })

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { role: { type: 'string' }, site: { type: 'string' }, password: { type: 'string' } })
  const [sub, email] = positionals
  const path = (email: string) => encodeURIComponent(email)
  if (sub === 'list') {
    const { users } = await withApi(config, (api) => api.call<{ users: { email: string; roles: Record<string, string> }[] }>('GET', '/api/users'))
    for (const u of users) process.stdout.write(`${u.email}\t${Object.entries(u.roles).map(([site, role]) => roleOn(role, site)).join(', ') || say('cli.users.noRole')}\n`)
    return
  }
  if (sub === 'remove' && email) {
    await withApi(config, (api) => api.call('DELETE', values.site ? `/api/sites/${path(values.site)}/people/${path(email)}` : `/api/users/${path(email)}`))
    process.stdout.write(`${values.site ? say('cli.users.roleRemoved', { email, site: values.site }) : say('cli.users.removed', { email })}\n`)
    return
  }
  if (sub !== 'add' || !email) throw new UsageError(usageOf(usage))
  const role = values.role ?? 'viewer'
  const site = values.site ?? '*'
  const added = await withApi(config, (api) => api.call<{ password?: string; existed: boolean }>('POST', '/api/users', { email, role, site, password: values.password }))
  const changed = added.existed && values.password !== undefined
  process.stdout.write(`${say('cli.users.added', { email, roleOn: roleOn(role, site), generated: Boolean(added.password), password: added.password ?? '', changed })}\n`)
}
