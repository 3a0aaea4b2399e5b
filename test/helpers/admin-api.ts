/**
 * The admin API (docs/admin-api.md) from the outside, as the dashboard and scripts call it: state changes
 * as JSON, credentials as a login cookie, an API key or a shared link, and every refusal in one shape.
 */
import { expect } from 'vitest'
import type { Access, Role } from '../../dashboard/server/auth/access.ts'
import { addUser } from '../../dashboard/server/auth/users.ts'

/** Anything with the server's base URL, e.g. a TestServer. */
interface Served {
  readonly url: string
}

export interface Call {
  headers?: Record<string, string>
  body?: unknown
  /** The Content-Type of a state change (JSON unless said); null: none. */
  type?: string | null
}

/** An HTTP call as the dashboard or a script makes it: state changes as JSON. */
export function callApi(server: Served, method: string, path: string, { headers = {}, body, type = 'application/json' }: Call = {}): Promise<Response> {
  const all: Record<string, string> = { ...headers }
  if (method !== 'GET' && type !== null) all['content-type'] = type
  return fetch(server.url + path, { method, headers: all, body: body === undefined || method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
}

export function loginResponse(server: Served, email: string, password: string, code?: string): Promise<Response> {
  return callApi(server, 'POST', '/api/auth/login', { body: { email, password, ...(code !== undefined && { code }) } })
}

/** Logs in and returns the login cookie (`cairn_login=…`), or '' when refused. */
export async function loginCookie(server: Served, email: string, password: string, code?: string): Promise<string> {
  const response = await loginResponse(server, email, password, code)
  if (response.status !== 200) return ''
  return response.headers.getSetCookie().find((c) => c.startsWith('cairn_login='))!.split(';')[0]!
}

/**
 * The calls above for the server `server()` returns: a test file makes them at its top level, before its
 * beforeAll has started the server.
 */
export function adminApi(server: () => Served) {
  return {
    call: (method: string, path: string, options?: Call) => callApi(server(), method, path, options),
    loginResponse: (email: string, password: string, code?: string) => loginResponse(server(), email, password, code),
    login: (email: string, password: string, code?: string) => loginCookie(server(), email, password, code),
  }
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

/** A test person's password, derived from their email: any test can log them in without keeping a table. */
export const passwordOf = (email: string) => `${email.split('@')[0]} password 1`

/** Adds each person (with `passwordOf(email)`) and makes each an API key named `keyName`; returns the keys by email. */
export async function addPeopleWithKeys(access: Access, people: [email: string, role: Role, site: string][], keyName: string): Promise<Record<string, string>> {
  for (const [email, role, site] of people) await addUser(access, email, passwordOf(email), role, site)
  const keys: Record<string, string> = {}
  for (const [email] of people) keys[email] = await access.createApiKey(email, keyName)
  return keys
}

/**
 * A refusal: the one error shape, `{error, errors?}` with a sentence for each field, and nothing else (no
 * data of any site). A refusal with a status in `namesNoOneOn` (for want of credentials or rights, by
 * default) shows no person, nor any email, of any site.
 */
export async function expectRefusal(response: Response, status: number, what = '', { namesNoOneOn = [401, 403] } = {}): Promise<Record<string, unknown>> {
  const text = await response.text()
  expect(response.status, `${what} ${text}`).toBe(status)
  const body = JSON.parse(text) as Record<string, unknown>
  expect(Object.keys(body).filter((k) => k !== 'error' && k !== 'errors'), what).toEqual([])
  expect(body.error, what).toEqual(expect.any(String))
  if (body.errors !== undefined) expect(Object.values(body.errors as object).every((v) => typeof v === 'string'), what).toBe(true)
  if (namesNoOneOn.includes(status)) expect(text, what).not.toMatch(/@example\.com/)
  return body
}
