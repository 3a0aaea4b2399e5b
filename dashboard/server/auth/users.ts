/** Creating and changing users: the first admin on a fresh install, and `cairn users …`. */
import { randomBytes } from 'node:crypto'
import type { Access, Role } from './access.ts'
import { invalid } from '../http-error.ts'
import { hashPassword } from './secrets.ts'

export const FIRST_ADMIN = 'admin@localhost'
const MIN_PASSWORD = 10

export function checkEmail(email: string): void {
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw invalid({ email: ['api.field.email', { email }] })
}

export function checkPassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD) throw invalid({ [field]: ['api.field.passwordLength', { min: MIN_PASSWORD }] })
}

/**
 * Creates a user with a role on a site, or gives an existing user that role. A new user without a
 * password gets a generated one, returned to be shown once; an existing user's password changes only when
 * one is given (which ends their logins and revokes their API keys).
 */
export async function addUser(access: Access, email: string, password: string | undefined, role: Role, site: string): Promise<{ generated?: string; existed: boolean }> {
  checkEmail(email)
  if (password !== undefined) checkPassword(password)
  const existed = (await access.passwordHash(email)) !== undefined
  const generated = !existed && password === undefined ? generatePassword() : undefined
  const chosen = password ?? generated
  if (chosen !== undefined) await access.setPassword(email, await hashPassword(chosen))
  await access.setRole(email, site, role)
  return { generated, existed }
}

export function generatePassword(): string {
  return randomBytes(12).toString('base64url')
}

/** On a fresh install, an admin of every site with a random password, returned once to be shown. */
export async function ensureFirstAdmin(access: Access): Promise<{ email: string; password: string } | undefined> {
  if ((await access.userCount()) > 0) return undefined
  const { generated } = await addUser(access, FIRST_ADMIN, undefined, 'admin', '*')
  return { email: FIRST_ADMIN, password: generated! }
}
