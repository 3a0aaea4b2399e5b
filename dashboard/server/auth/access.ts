/**
 * Users, their roles per site, login sessions, API keys and shared links, kept in ClickHouse so that
 * several Cairn servers share them. Every change is a new row version; reads use FINAL.
 */
import type { Storage } from '../../../sql/client.ts'
import { NO_USER_HASH, newSecret, sha256, verifyPassword } from './secrets.ts'

export type Role = 'viewer' | 'admin'

export type Principal =
  | { kind: 'user'; email: string; roles: Map<string, Role> }
  | { kind: 'share'; site: string }

export const LOGIN_DAYS = 14

let lastVersion = 0
/** Strictly increasing, so two changes in one millisecond keep their order. */
function version(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000)
  return lastVersion
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

  private async insert(table: string, row: Record<string, unknown>): Promise<void> {
    await this.storage.insert({ table: `cairn.${table}`, values: [{ ...row, version: version() }], format: 'JSONEachRow' })
    this.cache.clear()
  }

  async userCount(): Promise<number> {
    const [row] = await this.rows<{ n: string }>('SELECT count() AS n FROM cairn.users FINAL WHERE NOT deleted')
    return Number(row?.n ?? 0)
  }

  async setUser(email: string, passwordHash: string, role: Role, site: string): Promise<void> {
    await this.insert('users', { email, password_hash: passwordHash })
    await this.insert('memberships', { email, site, role })
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

  async createApiKey(email: string, name: string): Promise<string> {
    const { secret, hash, prefix } = newSecret('key')
    await this.insert('api_keys', { key_hash: hash, prefix, email, name })
    return secret
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
    const principal = await lookup()
    // Forged tokens would otherwise grow the cache without bound.
    if (this.cache.size >= 10_000) this.cache.clear()
    if (principal || keepFailures) this.cache.set(key, { principal, until: this.now() + CACHE_MS })
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

export function canRead(principal: Principal, site: string): boolean {
  return principal.kind === 'share' ? principal.site === site : principal.roles.has(site) || principal.roles.has('*')
}

export function canAdmin(principal: Principal, site: string): boolean {
  return principal.kind === 'user' && (principal.roles.get(site) === 'admin' || principal.roles.get('*') === 'admin')
}
