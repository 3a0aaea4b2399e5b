/**
 * Users, their roles per site, login sessions, API keys and shared links, kept in ClickHouse so that
 * several Cairn servers share them. Every change is a new row version; reads use FINAL.
 */
import type { Storage } from '../../../sql/client.ts'
import { forbidden, notFound, unauthenticated } from '../http-error.ts'
import { NO_USER_HASH, newSecret, sha256, verifyPassword } from './secrets.ts'
import { nextVersion } from '../../../sql/version.ts'

export type Role = 'viewer' | 'admin'

export type Principal =
  | { kind: 'user'; email: string; roles: Map<string, Role> }
  | { kind: 'share'; site: string }
  /** The `cairn` commands, over the server's Unix socket (or in their own process): an admin of every site. */
  | { kind: 'operator' }

export const LOGIN_DAYS = 14

export interface ApiKey {
  prefix: string
  email: string
  name: string
  created_at: string
}

/**
 * How long a credential found valid is believed without asking ClickHouse again. Every change made
 * through this object empties the cache at once; a change made by another Cairn server is seen here
 * within this time.
 */
const CACHE_MS = 60_000

export class Access {
  /** Credential lookups (tokens, keys, email and password) are cached briefly: one query per credential per minute, not per request. */
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number }>()

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  private async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    return (await this.storage.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()
  }

  /** Counts changes, so a lookup that started before one is not cached after it. */
  private generation = 0

  private async insert(table: string, row: Record<string, unknown>): Promise<void> {
    await this.storage.insert({ table: `cairn.${table}`, values: [{ ...row, version: nextVersion() }], format: 'JSONEachRow' })
    this.generation++
    this.cache.clear()
  }

  async userCount(): Promise<number> {
    const [row] = await this.rows<{ n: string }>('SELECT count() AS n FROM cairn.users FINAL WHERE NOT deleted')
    return Number(row?.n ?? 0)
  }

  /** Creates a user, or gives an existing one a new password: their logins end and their API keys are revoked. */
  async setPassword(email: string, passwordHash: string): Promise<void> {
    const existed = (await this.passwordHash(email)) !== undefined
    await this.insert('users', { email, password_hash: passwordHash })
    if (existed) {
      await this.endLogins(email)
      await this.revokeKeys(email)
    }
  }

  /** A role on a site (or '*'); the user's logins end, so no page keeps showing what the old role allowed. */
  async setRole(email: string, site: string, role: Role): Promise<void> {
    await this.insert('memberships', { email, site, role })
    await this.endLogins(email)
  }

  /** Takes a role away; false when the user had none on that site. */
  async removeRole(email: string, site: string): Promise<boolean> {
    if (!(await this.roles(email)).has(site)) return false
    await this.insert('memberships', { email, site, role: 'viewer', deleted: true })
    await this.endLogins(email)
    return true
  }

  /** Removes a user: roles, logins and API keys with them. False when there is no such user. */
  async removeUser(email: string): Promise<boolean> {
    const hash = await this.passwordHash(email)
    if (hash === undefined) return false
    for (const site of (await this.roles(email)).keys()) await this.insert('memberships', { email, site, role: 'viewer', deleted: true })
    await this.insert('users', { email, password_hash: '', deleted: true })
    await this.insert('user_settings', { email, language: '' })
    await this.endLogins(email)
    await this.revokeKeys(email)
    return true
  }

  async users(): Promise<{ email: string; roles: Record<string, Role> }[]> {
    const rows = await this.rows<{ email: string; site: string; role: Role }>(
      `SELECT u.email AS email, m.site AS site, m.role AS role
       FROM (SELECT email FROM cairn.users FINAL WHERE NOT deleted) AS u
       LEFT JOIN (SELECT email, site, toString(role) AS role FROM cairn.memberships FINAL WHERE NOT deleted) AS m ON m.email = u.email
       ORDER BY email, site`,
    )
    const users = new Map<string, Record<string, Role>>()
    for (const r of rows) {
      const roles = users.get(r.email) ?? {}
      if (r.site) roles[r.site] = r.role
      users.set(r.email, roles)
    }
    return [...users].map(([email, roles]) => ({ email, roles }))
  }

  /** The dashboard language a user chose, or undefined when they chose none (their browser's applies). */
  async language(email: string): Promise<string | undefined> {
    const [row] = await this.rows<{ language: string }>('SELECT language FROM cairn.user_settings FINAL WHERE email = {email:String}', { email })
    return row?.language || undefined
  }

  async setLanguage(email: string, language: string): Promise<void> {
    await this.insert('user_settings', { email, language })
  }

  async passwordHash(email: string): Promise<string | undefined> {
    const [row] = await this.rows<{ h: string }>('SELECT password_hash AS h FROM cairn.users FINAL WHERE email = {email:String} AND NOT deleted', { email })
    return row?.h
  }

  async roles(email: string): Promise<Map<string, Role>> {
    const rows = await this.rows<{ site: string; role: Role }>(
      'SELECT site, role FROM cairn.memberships FINAL WHERE email = {email:String} AND NOT deleted',
      { email },
    )
    return new Map(rows.map((r) => [r.site, r.role]))
  }

  async startLogin(email: string): Promise<string> {
    const { secret, hash } = newSecret('session')
    const expires = Math.floor(this.now() / 1000) + LOGIN_DAYS * 86_400
    await this.insert('login_sessions', { token_hash: hash, email, expires_at: expires })
    return secret
  }

  async endLogin(token: string): Promise<void> {
    const [row] = await this.rows<{ email: string; e: string }>(
      'SELECT email, toUnixTimestamp(expires_at) AS e FROM cairn.login_sessions FINAL WHERE token_hash = {h:String}',
      { h: sha256(token) },
    )
    if (row) await this.insert('login_sessions', { token_hash: sha256(token), email: row.email, expires_at: Number(row.e), revoked: true })
  }

  /** Ends every login of a user (a password or role change, a removal). */
  private async endLogins(email: string): Promise<void> {
    const rows = await this.rows<{ token_hash: string; e: string }>(
      'SELECT token_hash, toUnixTimestamp(expires_at) AS e FROM cairn.login_sessions FINAL WHERE email = {email:String} AND NOT revoked',
      { email },
    )
    for (const r of rows) await this.insert('login_sessions', { token_hash: r.token_hash, email, expires_at: Number(r.e), revoked: true })
  }

  async createApiKey(email: string, name: string): Promise<string> {
    const { secret, hash, prefix } = newSecret('key')
    await this.insert('api_keys', { key_hash: hash, prefix, email, name })
    return secret
  }

  /** API keys not revoked, a user's or everyone's; the secret itself is never stored, its first characters are. */
  async apiKeys(email?: string): Promise<ApiKey[]> {
    return this.rows(
      `SELECT prefix, email, name, toString(created_at) AS created_at FROM cairn.api_keys FINAL
       WHERE NOT revoked AND (email = {email:String} OR {email:String} = '') ORDER BY created_at, prefix`,
      { email: email ?? '' },
    )
  }

  /** Revokes the keys whose secret starts with `prefix` (only `email`'s, when given); returns how many. */
  async revokeKey(prefix: string, email?: string): Promise<number> {
    const rows = await this.rows<{ key_hash: string; email: string; name: string }>(
      "SELECT key_hash, email, name FROM cairn.api_keys FINAL WHERE prefix = {prefix:String} AND NOT revoked AND (email = {email:String} OR {email:String} = '')",
      { prefix, email: email ?? '' },
    )
    for (const r of rows) await this.insert('api_keys', { key_hash: r.key_hash, prefix, email: r.email, name: r.name, revoked: true })
    return rows.length
  }

  private async revokeKeys(email: string): Promise<void> {
    for (const key of await this.apiKeys(email)) await this.revokeKey(key.prefix, email)
  }

  async createShare(site: string, createdBy: string): Promise<{ secret: string; prefix: string }> {
    const { secret, hash, prefix } = newSecret('share')
    await this.insert('shared_links', { token_hash: hash, prefix, site, created_by: createdBy })
    return { secret, prefix }
  }

  async shares(site: string): Promise<{ prefix: string; created_by: string; created_at: string }[]> {
    return this.rows(
      'SELECT prefix, created_by, toString(created_at) AS created_at FROM cairn.shared_links FINAL WHERE site = {site:String} AND NOT revoked ORDER BY created_at',
      { site },
    )
  }

  /** Revokes the site's shared link whose secret starts with `prefix`; false when there is none. */
  async revokeShare(site: string, prefix: string): Promise<boolean> {
    const rows = await this.rows<{ token_hash: string; created_by: string }>(
      'SELECT token_hash, created_by FROM cairn.shared_links FINAL WHERE site = {site:String} AND prefix = {prefix:String} AND NOT revoked',
      { site, prefix },
    )
    for (const r of rows) await this.insert('shared_links', { token_hash: r.token_hash, prefix, site, created_by: r.created_by, revoked: true })
    return rows.length > 0
  }

  /** Who a login cookie, API key or share token belongs to, if it is valid now. */
  principal(credential: { session?: string; apiKey?: string; share?: string }): Promise<Principal | undefined> {
    return this.cached(sha256(JSON.stringify(credential)), () => this.resolve(credential))
  }

  /**
   * The user an email and password stand for. An unknown email costs the same password check as a wrong
   * password, so the time taken does not tell which emails exist.
   */
  async authenticate(email: string, password: string): Promise<Extract<Principal, { kind: 'user' }> | undefined> {
    const principal = await this.cached(sha256(`password\0${email}\0${password}`), async () => {
      const hash = await this.passwordHash(email)
      const ok = await verifyPassword(password, hash ?? NO_USER_HASH)
      return hash && ok ? { kind: 'user' as const, email, roles: await this.roles(email) } : undefined
    }, false)
    return principal?.kind === 'user' ? principal : undefined
  }

  /** A lookup kept for CACHE_MS (failures too, unless `keepFailures` is false: a guess must not be cheap to repeat). */
  private async cached(key: string, lookup: () => Promise<Principal | undefined>, keepFailures = true): Promise<Principal | undefined> {
    const hit = this.cache.get(key)
    if (hit && hit.until > this.now()) return hit.principal
    const generation = this.generation
    const principal = await lookup()
    // Forged tokens would otherwise grow the cache without bound; a change made meanwhile makes the answer stale.
    if (this.cache.size >= 10_000) this.cache.clear()
    if ((principal || keepFailures) && generation === this.generation) this.cache.set(key, { principal, until: this.now() + CACHE_MS })
    return principal
  }

  private async resolve({ session, apiKey, share }: { session?: string; apiKey?: string; share?: string }): Promise<Principal | undefined> {
    let email: string | undefined
    if (session) {
      const [row] = await this.rows<{ email: string }>(
        'SELECT email FROM cairn.login_sessions FINAL WHERE token_hash = {h:String} AND NOT revoked AND expires_at > fromUnixTimestamp({now:Int64})',
        { h: sha256(session), now: Math.floor(this.now() / 1000) },
      )
      email = row?.email
    } else if (apiKey) {
      const [row] = await this.rows<{ email: string }>('SELECT email FROM cairn.api_keys FINAL WHERE key_hash = {h:String} AND NOT revoked', { h: sha256(apiKey) })
      email = row?.email
    } else if (share) {
      const [row] = await this.rows<{ site: string }>('SELECT site FROM cairn.shared_links FINAL WHERE token_hash = {h:String} AND NOT revoked', { h: sha256(share) })
      return row ? { kind: 'share', site: row.site } : undefined
    }
    if (!email || !(await this.passwordHash(email))) return undefined
    return { kind: 'user', email, roles: await this.roles(email) }
  }
}

/** A person or the operator, who may save things; a shared link reads and nothing more (403). */
export function notShare(principal: Principal): Exclude<Principal, { kind: 'share' }> {
  if (principal.kind === 'share') throw forbidden(['api.forbidden.notPerson'])
  return principal
}

export function canRead(principal: Principal, site: string): boolean {
  if (principal.kind === 'operator') return true
  return principal.kind === 'share' ? principal.site === site : principal.roles.has(site) || principal.roles.has('*')
}

export function canAdmin(principal: Principal, site: string): boolean {
  if (principal.kind === 'operator') return true
  return principal.kind === 'user' && (principal.roles.get(site) === 'admin' || principal.roles.get('*') === 'admin')
}

/**
 * The principal, when it may `need` on `site`; otherwise the error that says why: 401 without valid
 * credentials, 404 for a site Cairn does not track, 403 without the right on it.
 */
export function authorize(principal: Principal | undefined, site: string, need: 'read' | 'admin', tracked: (site: string) => boolean): Principal {
  if (!principal) throw unauthenticated()
  if (!tracked(site)) throw notFound(['api.notFound.site', { site }])
  if (need === 'read' ? !canRead(principal, site) : !canAdmin(principal, site)) throw forbidden(['api.forbidden.site', { need, site }])
  return principal
}
