/** Creating users: the first admin on a fresh install, and `cairn users add`. */
import { randomBytes } from 'node:crypto'
import type { Access, Role } from './access.ts'
import { hashPassword } from './secrets.ts'

export const FIRST_ADMIN = 'admin@localhost'

export async function addUser(access: Access, email: string, password: string, role: Role, site: string): Promise<void> {
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`"${email}" is not an email address`)
  if (password.length < 10) throw new Error('the password must have at least 10 characters')
  await access.setUser(email, await hashPassword(password), role, site)
}

export function generatePassword(): string {
  return randomBytes(12).toString('base64url')
}

/** On a fresh install, an admin of every site with a random password, returned once to be printed. */
export async function ensureFirstAdmin(access: Access): Promise<{ email: string; password: string } | undefined> {
  if ((await access.userCount()) > 0) return undefined
  const password = generatePassword()
  await addUser(access, FIRST_ADMIN, password, 'admin', '*')
  return { email: FIRST_ADMIN, password }
}
