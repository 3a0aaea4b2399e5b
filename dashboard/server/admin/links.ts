/** Shared links (docs/admin-api.md): read-only links to one site's dashboard, made and revoked by its admins. */
import { Hono } from 'hono'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, type Access, type Principal } from '../auth/access.ts'
import { notFound } from '../http-error.ts'

type Env = { Variables: { principal: Principal | undefined } }

export function linksRoute(access: Access, sites: SiteList): Hono<Env> {
  const app = new Hono<Env>()
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string) => authorize(c.get('principal'), site, 'admin', (s) => sites.has(s))

  app.get('/api/sites/:site/shares', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    return c.json({ shares: await access.shares(site) })
  })

  app.post('/api/sites/:site/shares', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site)
    const { secret, prefix } = await access.createShare(site, principal.kind === 'user' ? principal.email : 'operator')
    return c.json({ prefix, path: `/share/${secret}` }, 201)
  })

  app.delete('/api/sites/:site/shares/:prefix', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    if (!(await access.revokeShare(site, c.req.param('prefix').replace(/…$/, '')))) throw notFound(['api.notFound.share'])
    return c.body(null, 204)
  })

  return app
}
