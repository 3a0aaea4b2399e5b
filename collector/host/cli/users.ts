/** `cairn users`: dashboard users and their roles per site. */
import { Access } from '../../../dashboard/server/auth/access.ts'
import { addUser } from '../../../dashboard/server/auth/users.ts'
import type { Config } from '../config.ts'
import { UsageError, parse } from './args.ts'
import { withStorage } from './storage.ts'

export const usage = `  users add EMAIL [--role admin|viewer] [--site SITE|*] [--password P]
                                        Create a dashboard user (a password is generated if omitted), or give
                                        an existing one a role, or a new password (which ends their logins and
                                        revokes their API keys)
  users list                            List users and their roles
  users remove EMAIL [--site SITE|*]    Remove a user (their logins and API keys end), or only their role on SITE`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { role: { type: 'string' }, site: { type: 'string' }, password: { type: 'string' } })
  const [sub, email] = positionals
  const checkSite = (site: string) => {
    if (site !== '*' && !config.sites.includes(site)) throw new UsageError(`${site} is not in CAIRN_SITES (${config.sites.join(', ')})`)
  }
  if (sub === 'list') {
    const users = await withStorage(config, (storage) => new Access(storage).users())
    for (const u of users) process.stdout.write(`${u.email}\t${Object.entries(u.roles).map(([site, role]) => `${role} of ${site === '*' ? 'every site' : site}`).join(', ') || 'no role'}\n`)
    return
  }
  if (sub === 'remove' && email) {
    if (values.site) checkSite(values.site)
    const done = await withStorage(config, (storage) => (values.site ? new Access(storage).removeRole(email, values.site) : new Access(storage).removeUser(email)))
    if (!done) throw new UsageError(values.site ? `${email} has no role on ${values.site}` : `no user ${email}`)
    process.stdout.write(values.site ? `${email} has no role on ${values.site} any more; their logins ended\n` : `${email} is removed; their logins and API keys ended\n`)
    return
  }
  if (sub !== 'add' || !email) throw new UsageError(`Usage:\n${usage}`)
  const role = values.role ?? 'viewer'
  if (role !== 'admin' && role !== 'viewer') throw new UsageError('--role must be admin or viewer')
  const site = values.site ?? '*'
  checkSite(site)
  const { generated, existed } = await withStorage(config, (storage) => addUser(new Access(storage), email, values.password, role, site))
  const changed = existed && values.password !== undefined ? '; new password set, their logins ended and their API keys were revoked' : ''
  process.stdout.write(`${email} is ${role} of ${site === '*' ? 'every site' : site}${generated ? `; password: ${generated}` : ''}${changed}\n`)
}
