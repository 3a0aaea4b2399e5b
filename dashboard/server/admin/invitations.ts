/**
 * Invitations and password resets by mail (docs/admin-api.md, "Invitations and resets"): a site's admin
 * invites a person, who sets their own password from the link; anyone asks for a reset link for their
 * address; an admin of every site sends one. Links are single-use tokens (auth/tokens.ts). Without SMTP,
 * the admin gets the link to pass on instead (a person asking for their own reset gets nothing they could
 * abuse: the answer is the same whether the address exists or not).
 */
import { Hono, type Context } from 'hono'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, canAdmin, type Access, type Principal, type Role } from '../auth/access.ts'
import type { LoginAttempts } from '../auth/attempts.ts'
import { MailTokens, TOKEN_LIFETIME_MS, type TokenPurpose } from '../auth/tokens.ts'
import { checkEmail, checkPassword } from '../auth/users.ts'
import { hashPassword } from '../auth/secrets.ts'
import { negotiate, type Language } from '../../i18n/languages.ts'
import { translator, type Translate as Say } from '../../i18n/translate.ts'
import { HttpError, invalid, notFound, tooMany, unauthenticated, requestLanguage } from '../http-error.ts'
import { jsonBody as body } from '../params.ts'
import type { Mailer } from '../mail/mailer.ts'
import { renderMail, type MailBody } from '../mail/template.ts'
import { randomBytes } from 'node:crypto'

export interface InvitationsRouteOptions {
  access: Access
  tokens: MailTokens
  mailer: Mailer
  sites: SiteList
  /** The dashboard's address in links (CAIRN_PUBLIC_URL), never the request's Host. */
  publicUrl: string
  attempts: LoginAttempts
  addressOf: (c: Context) => string
}

type Env = { Variables: { principal: Principal | undefined } }

const ROLES: readonly Role[] = ['viewer', 'admin']

export function invitationsRoute({ access, tokens, mailer, sites, publicUrl, attempts, addressOf }: InvitationsRouteOptions): Hono<Env> {
  const app = new Hono<Env>()
  const linkOf = (token: string) => `${publicUrl}/?token=${encodeURIComponent(token)}`
  /** The language a person reads: the one they chose, else the one of whoever acts now. */
  const languageOf = async (email: string, c: Context): Promise<Language> => negotiate((await access.language(email)) ?? requestLanguage(c))

  /** Mails the link, or (without SMTP, to an admin) returns it: `{mailed}` or `{mailed: false, link}`. */
  const deliver = async (c: Context, email: string, purpose: TokenPurpose, texts: (say: Say, link: string) => { subject: string; mail: Omit<MailBody, 'language'> }, showLink: boolean) => {
    const token = await tokens.create(email, purpose)
    const link = linkOf(token)
    if (!mailer.configured) return showLink ? { mailed: false, link } : { mailed: false }
    const language = await languageOf(email, c)
    const { subject, mail } = texts(translator(language), link)
    // Not awaited: SMTP may be slow or down, the mailer retries; the settings show how it went.
    mailer.send({ kind: purpose, to: email, subject, ...renderMail({ language, ...mail }) }).catch(() => {})
    return { mailed: true }
  }

  const inviteMail = (site: string, inviter: string) => (say: Say, link: string) => ({
    subject: say('mail.invite.subject', { site }),
    mail: {
      heading: say('mail.invite.heading', { site }),
      paragraphs: [say('mail.invite.intro', { inviter, site }), say('mail.invite.validity', { days: TOKEN_LIFETIME_MS.invite / 86_400_000 })],
      action: { label: say('mail.invite.action'), url: link },
      footer: [say('mail.ignore')],
    },
  })

  const resetMail = (email: string) => (say: Say, link: string) => ({
    subject: say('mail.reset.subject'),
    mail: {
      heading: say('mail.reset.heading'),
      paragraphs: [say('mail.reset.intro', { email }), say('mail.reset.validity', { minutes: TOKEN_LIFETIME_MS.reset / 60_000 })],
      action: { label: say('mail.reset.action'), url: link },
      footer: [say('mail.ignore')],
    },
  })

  /** A site's admin invites a person: a role on the site, and a link to set their password (a new person only). */
  app.post('/api/sites/:site/invitations', async (c) => {
    const site = c.req.param('site')
    const principal = authorize(c.get('principal'), site, 'admin', (s) => sites.has(s))
    const input = await body(c)
    const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : ''
    checkEmail(email)
    const role = (input.role ?? 'viewer') as Role
    if (!ROLES.includes(role)) throw invalid({ role: ['api.field.oneOf', { choices: ROLES.join(', ') }] })
    const roles = await access.roles(email)
    // Someone with a role on every site is changed only by an admin of every site (as in people.ts).
    if (roles.has('*') && !canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.everySite'])
    const existed = (await access.passwordHash(email)) !== undefined
    if (existed) {
      await access.setRole(email, site, role)
      return c.json({ email, role, existed: true, mailed: false }, 201)
    }
    // Until the link is used, the account has a password nobody knows.
    await access.setPassword(email, await hashPassword(randomBytes(32).toString('base64url')))
    await access.setRole(email, site, role)
    const inviter = principal.kind === 'user' ? principal.email : 'Cairn'
    return c.json({ email, role, existed: false, ...(await deliver(c, email, 'invite', inviteMail(site, inviter), true)) }, 201)
  })

  /** An admin of every site sends a person a reset link (or gets it, without SMTP). */
  app.post('/api/users/:email/reset-link', async (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (!canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.everySite'])
    const email = c.req.param('email')
    if ((await access.passwordHash(email)) === undefined) throw notFound(['api.notFound.user', { email }])
    return c.json({ email, ...(await deliver(c, email, 'reset', resetMail(email), true)) })
  })

  /**
   * Anyone asks for a reset link for an address. The answer does not say whether the address has an
   * account (`mailed` says only whether Cairn can send mail at all); asking counts against the same brake
   * as guessing passwords, so it cannot flood someone's mailbox.
   */
  app.post('/api/auth/reset', async (c) => {
    const input = await body(c)
    const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : ''
    checkEmail(email)
    const address = addressOf(c)
    const wait = attempts.retryAfter(email, address)
    if (wait > 0) throw tooMany(wait)
    attempts.failed(email, address)
    if (mailer.configured && (await access.passwordHash(email)) !== undefined) await deliver(c, email, 'reset', resetMail(email), false)
    return c.json({ mailed: mailer.configured }, 202)
  })

  /** What a link is for, to draw its page: the person and the purpose, or 404 when it does not work (any more). */
  app.get('/api/auth/token', async (c) => {
    const found = await tokens.peek(c.req.query('token') ?? '')
    if (!found) throw notFound(['api.notFound.token'])
    return c.json(found)
  })

  /** Sets the password a link is for, once; the person then logs in (with their second factor, if any). */
  app.post('/api/auth/token', async (c) => {
    const input = await body(c)
    if (typeof input.token !== 'string' || typeof input.password !== 'string') throw invalid({ body: ['api.field.tokenBody'] })
    checkPassword(input.password)
    const password = await hashPassword(input.password)
    const used = await tokens.consume(input.token, async ({ email }) => access.setPassword(email, password))
    if (!used) throw notFound(['api.notFound.token'])
    return c.json({ email: used.email })
  })

  /** How mail goes, for the settings: admins of every site only (the sender and the last error say how Cairn is set up). */
  app.get('/api/mail', (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (!canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.everySite'])
    return c.json(mailer.status())
  })

  return app
}
