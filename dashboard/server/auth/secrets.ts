/** Passwords (scrypt) and bearer secrets (random, stored as SHA-256), compared in constant time. */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, SCRYPT.N)
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

/** Checked against when there is no such user, so that costs what a wrong password costs. */
export const NO_USER_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, , , salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n))
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

function derive(password: string, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, 32, { ...SCRYPT, N }, (error, key) => (error ? reject(error) : resolve(key))),
  )
}

/** A new secret with a readable kind prefix (`cairn_key_…`), and the hash stored instead of it. */
export function newSecret(kind: string): { secret: string; hash: string; prefix: string } {
  const secret = `cairn_${kind}_${randomBytes(24).toString('base64url')}`
  return { secret, hash: sha256(secret), prefix: prefixOf(secret, kind) }
}

/** The first characters of a secret, kept to name it in lists ("cairn_key_AbCdE…"). */
export const prefixOf = (secret: string, kind: string) => secret.slice(0, kind.length + 12)

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
