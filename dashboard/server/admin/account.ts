/**
 * One's own account (docs/admin-api.md): login (with the second factor when enrolled), logout, who am I,
 * language, password, second factor. The login cookie is strictly necessary: it keeps a user logged in,
 * nothing else, and needs no consent.
 */
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { LOGIN_COOKIE } from '../auth/credentials.ts'
import { LOGIN_DAYS, type Access, type Principal } from '../auth/access.ts'
import type { LoginAttempts } from '../auth/attempts.ts'
import { checkPassword } from '../auth/users.ts'
import { hashPassword, verifyPassword } from '../auth/secrets.ts'
import { LANGUAGES } from '../../i18n/languages.ts'
import { anyOf } from '../../i18n/translate.ts'
import { HttpError, forbidden, invalid, tooMany, unauthenticated } from '../http-error.ts'
import { jsonBody as body } from '../params.ts'

/** What the account routes need of the second factor (dashboard/server/auth/second-factor.ts). */
export interface SecondFactors {
  begin(email: string, issuer?: string): Promise<{ secret: string; uri: string; qrSvg: string }>
  confirm(email: string, code: string): Promise<string[] | undefined>
  enabled(email: string): Promise<boolean>
  verify(email: string, code: string): Promise<boolean>
  disable(email: string): Promise<void>
}

export interface AccountRouteOptions {
  access: Access
  secondFactors: SecondFactors
  attempts: LoginAttempts
  addressOf: (c: Context) => string
  isSecure: (url: string, forwardedProto: string | undefined) => boolean
}

type Env = { Variables: { principal: Principal | undefined } }

export function accountRoute({ access, secondFactors, attempts, addressOf, isSecure }: AccountRouteOptions): Hono<Env> {
  const app = new Hono<Env>()
  const secure = (c: Context) => isSecure(c.req.url, c.req.header('x-forwarded-proto'))
  const startLogin = async (c: Context, email: string) => {
    const token = await access.startLogin(email)
    setCookie(c, LOGIN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure: secure(c), path: '/', maxAge: LOGIN_DAYS * 86_400 })
  }
  /** A person logged in (not a shared link, not the operator). */
  const user = (c: Context<Env>) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (principal.kind !== 'user') throw forbidden(['api.forbidden.notPerson'])
    return principal
  }
  /** A guess that counts against the brake on guessing: refused before checking once over the limit. */
  const guessing = (c: Context, email: string) => {
    const address = addressOf(c)
    const wait = attempts.retryAfter(email, address)
    if (wait > 0) throw tooMany(wait)
    return () => attempts.failed(email, address)
  }

  app.post('/api/auth/login', async (c) => {
    const input = await body(c)
    if (typeof input.email !== 'string' || typeof input.password !== 'string' || (input.code !== undefined && typeof input.code !== 'string')) {
      throw invalid({ body: ['api.field.loginBody'] })
    }
    // Past the limit the answer comes before any password is checked, so it is the same for a right one.
    const failed = guessing(c, input.email)
    const principal = await access.authenticate(input.email, input.password)
    if (!principal) {
      failed()
      throw unauthenticated(['api.wrongPassword'])
    }
    if (await secondFactors.enabled(principal.email)) {
      if (!input.code) throw new HttpError(401, ['api.secondFactor.needed'], undefined, {}, { second_factor: true })
      if (!(await secondFactors.verify(principal.email, input.code))) {
        failed()
        throw new HttpError(401, ['api.secondFactor.wrong'], { code: ['api.secondFactor.wrong'] }, {}, { second_factor: true })
      }
    }
    await startLogin(c, input.email)
    return c.json({ email: input.email })
  })

  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, LOGIN_COOKIE)
    if (token) await access.endLogin(token)
    deleteCookie(c, LOGIN_COOKIE, { path: '/', secure: secure(c), httpOnly: true, sameSite: 'Strict' })
    return c.body(null, 204)
  })

  app.get('/api/auth/me', async (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (principal.kind === 'share') return c.json({ share: true, site: principal.site })
    if (principal.kind === 'operator') return c.json({ operator: true })
    return c.json({ email: principal.email, language: (await access.language(principal.email)) ?? null, two_factor: await secondFactors.enabled(principal.email) })
  })

  /** The user's own settings: the dashboard's language ('' or null: the browser's). */
  app.patch('/api/auth/me', async (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (principal.kind !== 'user') throw forbidden(['api.forbidden.shareSettings'])
    const language = (await body(c)).language ?? ''
    if (language !== '' && !LANGUAGES.includes(language as never)) throw invalid({ language: ['api.field.oneOf', { choices: anyOf(LANGUAGES) }] })
    await access.setLanguage(principal.email, language as string)
    return c.json({ email: principal.email, language: language || null })
  })

  /** A new password: every login of this person ends and their API keys are revoked; this browser gets a new login. */
  app.post('/api/auth/password', async (c) => {
    const { email } = user(c)
    const input = await body(c)
    if (typeof input.current !== 'string') throw invalid({ current: ['api.field.required'] })
    if (typeof input.password !== 'string') throw invalid({ password: ['api.field.required'] })
    const failed = guessing(c, email)
    const hash = await access.passwordHash(email)
    if (!hash || !(await verifyPassword(input.current, hash))) {
      failed()
      throw invalid({ current: ['api.field.wrongPassword'] })
    }
    checkPassword(input.password)
    await access.setPassword(email, await hashPassword(input.password))
    await startLogin(c, email)
    return c.body(null, 204)
  })

  app.post('/api/auth/second-factor', async (c) => {
    const { email } = user(c)
    const { secret, uri, qrSvg } = await secondFactors.begin(email)
    return c.json({ secret, uri, qr_svg: qrSvg })
  })

  app.post('/api/auth/second-factor/confirm', async (c) => {
    const { email } = user(c)
    const code = (await body(c)).code
    if (typeof code !== 'string') throw invalid({ code: ['api.field.required'] })
    const failed = guessing(c, email)
    const recovery = await secondFactors.confirm(email, code)
    if (!recovery) {
      failed()
      throw invalid({ code: ['api.secondFactor.wrong'] })
    }
    return c.json({ recovery_codes: recovery })
  })

  app.delete('/api/auth/second-factor', async (c) => {
    const { email } = user(c)
    const password = (await body(c)).password
    if (typeof password !== 'string') throw invalid({ password: ['api.field.required'] })
    const failed = guessing(c, email)
    const hash = await access.passwordHash(email)
    if (!hash || !(await verifyPassword(password, hash))) {
      failed()
      throw invalid({ password: ['api.field.wrongPassword'] })
    }
    await secondFactors.disable(email)
    return c.body(null, 204)
  })

  return app
}
