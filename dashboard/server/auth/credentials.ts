/** Where a request's credentials are: an API key, a shared link's token, or the login cookie. */
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { Access, Principal } from './access.ts'

export const LOGIN_COOKIE = 'cairn_login'

/** Who sent the request: an API key, a shared link's token, or the login cookie, in that order. */
export async function principalOf(c: Context, access: Access): Promise<Principal | undefined> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
  const share = c.req.header('x-cairn-share')
  const session = getCookie(c, LOGIN_COOKIE)
  const credential = bearer ? { apiKey: bearer } : share ? { share } : session ? { session } : undefined
  return credential ? access.principal(credential) : undefined
}
