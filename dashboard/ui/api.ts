/**
 * Calls to the dashboard API from the browser, with the shared-link token when the page has one, in the
 * dashboard's language (the server's errors and CSV headers come in it).
 */
import { currentLanguage, t } from './i18n.ts'

const shareToken = location.pathname.startsWith('/share/') ? decodeURIComponent(location.pathname.slice('/share/'.length)) : undefined

/** A refusal, as the server said it: its sentence, each field's problem (already in the page's language), and the whole body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: Record<string, string> = {},
    readonly body: Record<string, unknown> = {},
  ) {
    super(message)
  }

  /** The server's own summary (its `error`), said above a form whose fields carry the details. */
  get summary(): string {
    return typeof this.body.error === 'string' && this.body.error ? this.body.error : this.message
  }
}

export const isShared = shareToken !== undefined

/** fetch with the page's credentials: the login cookie, or the shared link's token. */
export function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (shareToken) headers.set('x-cairn-share', shareToken)
  headers.set('accept-language', currentLanguage())
  return fetch(path, { ...init, headers, credentials: 'same-origin' })
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await authorizedFetch(path, init)
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; errors?: Record<string, string> } & Record<string, unknown>
    const message = body.errors ? Object.entries(body.errors).map(([field, problem]) => t('ui.fieldError', { field, problem })).join('; ') : body.error
    throw new ApiError(response.status, message || t('ui.serverAnswered', { status: response.status }), body.errors ?? {}, body)
  }
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T)
}

/** A state change: `body` as JSON (the server accepts changes only as JSON, from this origin). */
export function send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return api<T>(path, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) })
}

/** A site's part of an API path. */
export const sitePath = (site: string): string => `/api/sites/${encodeURIComponent(site)}`
