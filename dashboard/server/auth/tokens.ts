/**
 * The single-use links mailed to people (cairn.mail_tokens): an invitation sets a new person's password,
 * a reset sets a forgotten one. The token is a random secret shown only in the link; the table keeps its
 * SHA-256. A token works once, until it expires, and only for its purpose; a newer link of the same
 * purpose for the same person replaces the older ones.
 */
import type { Storage } from '../../../sql/client.ts'
import { newSecret, sha256 } from './secrets.ts'
import { nextVersion } from '../../../sql/version.ts'

export const TOKEN_PURPOSES = ['invite', 'reset'] as const
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number]

/** How long a link works: an invitation waits for a person to read their mail; a reset is for now. */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = { invite: 7 * 86_400_000, reset: 60 * 60_000 }

interface Row {
  token_hash: string
  purpose: TokenPurpose
  email: string
  expires_at: string
  used: boolean
}

export class MailTokens {
  /** Tokens being used in this process: a double submit cannot use one twice. */
  private readonly using = new Set<string>()

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new link's token for `email`; the person's older unused ones of this purpose stop working. */
  async create(email: string, purpose: TokenPurpose): Promise<string> {
    const older = await this.rows('email = {email:String} AND purpose = {purpose:String} AND NOT used', { email, purpose })
    const { secret, hash } = newSecret(purpose)
    const expires = new Date(this.now() + TOKEN_LIFETIME_MS[purpose])
    await this.write([...older.map((r) => ({ ...r, used: true })), { token_hash: hash, purpose, email, expires_at: utc(expires), used: false }])
    return secret
  }

  /** Whom a token is for, while it works: unused, unexpired, of that purpose. */
  async peek(token: string, purpose?: TokenPurpose): Promise<{ email: string; purpose: TokenPurpose } | undefined> {
    if (typeof token !== 'string' || token.length > 200) return undefined
    const [row] = await this.rows('token_hash = {hash:String}', { hash: sha256(token) })
    if (!row || row.used || Date.parse(`${row.expires_at}Z`) <= this.now() || (purpose && row.purpose !== purpose)) return undefined
    return { email: row.email, purpose: row.purpose }
  }

  /** Uses a token once: the person it was for, or undefined when it does not work (any more). */
  async consume(token: string, act: (who: { email: string; purpose: TokenPurpose }) => Promise<void>): Promise<{ email: string; purpose: TokenPurpose } | undefined> {
    const hash = sha256(String(token))
    if (this.using.has(hash)) return undefined
    this.using.add(hash)
    try {
      const who = await this.peek(token)
      if (!who) return undefined
      const [row] = await this.rows('token_hash = {hash:String}', { hash })
      await this.write([{ ...row!, used: true }])
      await act(who)
      return who
    } finally {
      this.using.delete(hash)
    }
  }

  private async rows(where: string, params: Record<string, unknown>): Promise<Row[]> {
    const result = await this.storage.query({
      query: `SELECT token_hash, purpose, email, toString(expires_at) AS expires_at, used FROM cairn.mail_tokens FINAL WHERE ${where}`,
      query_params: params,
      format: 'JSONEachRow',
    })
    return result.json<Row>()
  }

  private async write(rows: Row[]): Promise<void> {
    if (rows.length) await this.storage.insert({ table: 'cairn.mail_tokens', values: rows.map((r) => ({ ...r, version: nextVersion() })), format: 'JSONEachRow' })
  }
}

const utc = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ')
