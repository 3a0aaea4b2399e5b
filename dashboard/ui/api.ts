/** Calls to the dashboard API from the browser, with the shared-link token when the page has one. */

const shareToken = location.pathname.startsWith('/share/') ? decodeURIComponent(location.pathname.slice('/share/'.length)) : undefined

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

export const isShared = shareToken !== undefined

/** fetch with the page's credentials: the login cookie, or the shared link's token. */
export function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (shareToken) headers.set('x-cairn-share', shareToken)
  return fetch(path, { ...init, headers, credentials: 'same-origin' })
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await authorizedFetch(path, init)
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; errors?: Record<string, string> }
    const message = body.errors ? Object.entries(body.errors).map(([k, v]) => `${k} ${v}`).join('; ') : body.error
    throw new ApiError(response.status, message || `the server answered ${response.status}`)
  }
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T)
}

export const formatNumber = (n: number) =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toLocaleString('en')

export const formatDuration = (seconds: number) => {
  const m = Math.floor(seconds / 60)
  const s = Math.round(seconds % 60)
  return m >= 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : m > 0 ? `${m}m ${s}s` : `${s}s`
}
