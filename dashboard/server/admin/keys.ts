/**
 * API keys (docs/admin-api.md): a person's own, created (the secret shown once) and revoked; an admin of
 * every site sees and revokes everyone's and creates them for others (as `cairn keys add --user` does).
 */
import { Hono } from 'hono'
import { canAdmin, type Access, type Principal } from '../auth/access.ts'
import { prefixOf } from '../auth/secrets.ts'
import { HttpError, invalid, notFound, unauthenticated } from '../http-error.ts'
import { jsonBody } from '../params.ts'

type Env = { Variables: { principal: Principal | undefined } }

export function keysRoute(access: Access): Hono<Env> {
  const app = new Hono<Env>()
  const holder = (c: { get(key: 'principal'): Principal | undefined }) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (principal.kind === 'share') throw new HttpError(403, ['api.forbidden.notPerson'])
    return { principal, everyone: canAdmin(principal, '*'), email: principal.kind === 'user' ? principal.email : undefined }
  }

  app.get('/api/keys', async (c) => {
    const { everyone, email } = holder(c)
    const all = c.req.query('all') === '1'
    if (all && !everyone) throw new HttpError(403, ['api.forbidden.everySite'])
    return c.json({ keys: await access.apiKeys(all || !email ? undefined : email) })
  })

  app.post('/api/keys', async (c) => {
    const { everyone, email } = holder(c)
    const input = await jsonBody(c)
    const name = input.name === undefined ? 'api' : input.name
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) throw invalid({ name: ['api.field.name', { max: 100 }] })
    const owner = input.email === undefined ? email : input.email
    if (typeof owner !== 'string') throw invalid({ email: ['api.field.required'] })
    if (owner !== email && !everyone) throw new HttpError(403, ['api.forbidden.everySite'])
    if ((await access.passwordHash(owner)) === undefined) throw notFound(['api.notFound.user', { email: owner }])
    const key = await access.createApiKey(owner, name.trim())
    return c.json({ key, prefix: prefixOf(key, 'key') }, 201)
  })

  app.delete('/api/keys/:prefix', async (c) => {
    const { everyone, email } = holder(c)
    const prefix = c.req.param('prefix').replace(/…$/, '')
    // Someone else's key answers as no key at all: its existence is not theirs to learn.
    if ((await access.revokeKey(prefix, everyone ? undefined : email)) === 0) throw notFound(['api.notFound.key', { prefix }])
    return c.body(null, 204)
  })

  return app
}
