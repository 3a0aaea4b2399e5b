/** `cairn users`: dashboard users and their roles per site. */
import { Access } from '../../../dashboard/server/auth/access.ts'
import { addUser } from '../../../dashboard/server/auth/users.ts'
import type { Config } from '../config.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'
import { withStorage } from './storage.ts'

export const usage: Usage = [
  ['users add EMAIL [--role admin|viewer] [--site SITE|*] [--password P]', 'cli.usage.usersAdd'],
  ['users list', 'cli.usage.usersList'],
  ['users remove EMAIL [--site SITE|*]', 'cli.usage.usersRemove'],
]

const roleOn = (role: string, site: string) => say('cli.users.roleOn', { role, site, every: site === '*' })

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { role: { type: 'string' }, site: { type: 'string' }, password: { type: 'string' } })
  const [sub, email] = positionals
  const checkSite = (site: string) => {
    if (site !== '*' && !config.sites.includes(site)) throw new UsageError(say('cli.notInSites', { site, sites: config.sites.join(', ') }))
  }
  if (sub === 'list') {
    const users = await withStorage(config, (storage) => new Access(storage).users())
    for (const u of users) process.stdout.write(`${u.email}\t${Object.entries(u.roles).map(([site, role]) => roleOn(role, site)).join(', ') || say('cli.users.noRole')}\n`)
    return
  }
  if (sub === 'remove' && email) {
    if (values.site) checkSite(values.site)
    const done = await withStorage(config, (storage) => (values.site ? new Access(storage).removeRole(email, values.site) : new Access(storage).removeUser(email)))
    if (!done) throw new UsageError(values.site ? say('cli.users.noRoleOn', { email, site: values.site }) : say('cli.users.noUser', { email }))
    process.stdout.write(`${values.site ? say('cli.users.roleRemoved', { email, site: values.site }) : say('cli.users.removed', { email })}\n`)
    return
  }
  if (sub !== 'add' || !email) throw new UsageError(usageOf(usage))
  const role = values.role ?? 'viewer'
  if (role !== 'admin' && role !== 'viewer') throw new UsageError(say('cli.choiceFlag', { name: 'role', choices: 'admin, viewer', value: role }))
  const site = values.site ?? '*'
  checkSite(site)
  const { generated, existed } = await withStorage(config, (storage) => addUser(new Access(storage), email, values.password, role, site))
  const changed = existed && values.password !== undefined
  process.stdout.write(`${say('cli.users.added', { email, roleOn: roleOn(role, site), generated: Boolean(generated), password: generated ?? '', changed })}\n`)
}
