/**
 * People and their roles (docs/admin-api.md): a site's admins add, change and remove who may read it;
 * admins of every site also remove a person altogether and reset passwords. A change of role or a
 * removal ends that person's logins at once (and a removal their API keys).
 */
import { Hono } from 'hono'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, canAdmin, type Access, type Principal, type Role } from '../auth/access.ts'
import { addUser, checkEmail, checkPassword, generatePassword } from '../auth/users.ts'
import { hashPassword } from '../auth/secrets.ts'
import type { SecondFactors } from './account.ts'
import { HttpError, invalid, notFound, unauthenticated } from '../http-error.ts'
import { jsonBody as body } from '../params.ts'

export interface PeopleRouteOptions {
  access: Access
  sites: SiteList
  /** Who has a second factor (shown beside each person); removed with the person. */
  secondFactors: Pick<SecondFactors, 'enabled' | 'disable'>
}

type Env = { Variables: { principal: Principal | undefined } }

const ROLES: readonly Role[] = ['viewer', 'admin']

export function peopleRoute({ access, sites, secondFactors }: PeopleRouteOptions): Hono<Env> {
  const twoFactor = (email: string) => secondFactors.enabled(email)
  const app = new Hono<Env>()
  const everySite = (c: { get(key: 'principal'): Principal | undefined }) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (!canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.everySite'])
    return principal
  }
  /** A site's admin, or for `*` (a role on every site) an admin of every site. */
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string) =>
    site === '*' ? everySite(c) : authorize(c.get('principal'), site, 'admin', (s) => sites.has(s))
  const role = (value: unknown): Role => {
    if (!ROLES.includes(value as Role)) throw invalid({ role: ['api.field.oneOf', { choices: ROLES.join(', ') }] })
    return value as Role
  }
  /**
   * A person with a role on every site is only changed by an admin of every site: a site's admin could
   * otherwise demote them on that site or end their logins at will.
   */
  const mayChange = async (principal: Principal, email: string, site: string, mustHaveRole = true) => {
    const roles = await access.roles(email)
    if (mustHaveRole && !roles.has(site) && !roles.has('*')) throw notFound(['api.notFound.person', { email, site }])
    if ((roles.has('*') || (mustHaveRole && !roles.has(site))) && !canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.everySite'])
  }

  app.get('/api/sites/:site/people', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    const users = (await access.users()).filter((u) => u.roles[site] || u.roles['*'])
    const people = await Promise.all(
      users.map(async (u) => ({ email: u.email, role: u.roles[site] ?? u.roles['*']!, site: u.roles[site] ? site : '*', two_factor: await twoFactor(u.email) })),
    )
    return c.json({ people })
  })

  app.post('/api/sites/:site/people', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site)
    const input = await body(c)
    const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : ''
    checkEmail(email)
    await mayChange(principal, email, site, false)
    const given = input.password === undefined || input.password === null ? undefined : String(input.password)
    const chosen = role(input.role ?? 'viewer')
    // A site's admin gives an existing person a role, never a password: resets are for admins of every site.
    if (given !== undefined && (await access.passwordHash(email)) !== undefined) throw new HttpError(409, ['api.conflict.personExists', { email }])
    const { generated, existed } = await addUser(access, email, given, chosen, site)
    return c.json({ email, role: chosen, existed, ...(generated && { password: generated }) }, 201)
  })

  app.patch('/api/sites/:site/people/:email', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site)
    const email = c.req.param('email')
    await mayChange(principal, email, site)
    const chosen = role((await body(c)).role)
    await access.setRole(email, site, chosen)
    return c.json({ email, role: chosen, site })
  })

  app.delete('/api/sites/:site/people/:email', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site)
    const email = c.req.param('email')
    await mayChange(principal, email, site)
    await access.removeRole(email, site)
    return c.body(null, 204)
  })

  /** A person with a role on a site or on every site (`*`), their password set when given: `cairn users add`. */
  app.post('/api/users', async (c) => {
    everySite(c)
    const input = await body(c)
    const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : ''
    checkEmail(email)
    const site = typeof input.site === 'string' ? input.site : '*'
    if (site !== '*' && !sites.has(site)) throw notFound(['api.notFound.site', { site }])
    const chosen = role(input.role ?? 'viewer')
    const given = input.password === undefined || input.password === null ? undefined : String(input.password)
    const { generated, existed } = await addUser(access, email, given, chosen, site)
    return c.json({ email, role: chosen, site, existed, ...(generated && { password: generated }) }, 201)
  })

  app.get('/api/users', async (c) => {
    everySite(c)
    const users = await access.users()
    return c.json({ users: await Promise.all(users.map(async (u) => ({ ...u, two_factor: await twoFactor(u.email) }))) })
  })

  app.delete('/api/users/:email', async (c) => {
    const principal = everySite(c)
    const email = c.req.param('email')
    if (principal.kind === 'user' && principal.email === email) throw new HttpError(409, ['api.conflict.removeSelf'])
    if (!(await access.removeUser(email))) throw notFound(['api.notFound.user', { email }])
    await secondFactors.disable(email)
    return c.body(null, 204)
  })

  /** A reset by an admin: a new password (given or generated, returned once); the person's logins end and keys are revoked. */
  app.post('/api/users/:email/password', async (c) => {
    everySite(c)
    const email = c.req.param('email')
    if ((await access.passwordHash(email)) === undefined) throw notFound(['api.notFound.user', { email }])
    const input = await body(c)
    const password = input.password === undefined || input.password === null ? generatePassword() : String(input.password)
    checkPassword(password)
    await access.setPassword(email, await hashPassword(password))
    return c.json({ email, password })
  })

  return app
}
