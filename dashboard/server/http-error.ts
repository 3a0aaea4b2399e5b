/**
 * The one error answer of every route but the two that speak another protocol: ingest's fast path
 * (`collector/ingest/route.ts`, answers of its own for the tracker) and the SQL door (ClickHouse's).
 * Its shape is `{"error": "<what happened>", "errors": {"<field>": "<what is wrong with it>"}}`, the
 * second part when fields are at fault; each status's wording is written here, once.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly errors?: Record<string, string>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  /** The answer, in the one shape. */
  response(c: Context): Response {
    for (const [name, value] of Object.entries(this.headers)) c.header(name, value)
    return c.json({ error: this.message, ...(this.errors && { errors: this.errors }) }, this.status)
  }
}

/** 400: fields that are not what they may be, each with what is wrong. */
export const invalid = (errors: Record<string, string>) => new HttpError(400, `not valid: ${Object.keys(errors).join(', ')}`, errors)

/** 401: no valid credentials (`because`, where there is more to say, as after a login). */
export const unauthenticated = (because = 'log in, or send an API key as "Authorization: Bearer <key>"') => new HttpError(401, because)

/** 403: credentials, but not the right to this. */
export const forbidden = (why: string, errors?: Record<string, string>) => new HttpError(403, why, errors)

/** 404: nothing by that name. */
export const notFound = (what: string) => new HttpError(404, `no such ${what}`)

/** 413: more than `max` bytes. */
export const tooLarge = (max: number) => new HttpError(413, `the request is over ${max.toLocaleString('en')} bytes`, { body: `must be at most ${max} bytes` })

/** 415: a body that is not JSON. */
export const notJson = () => new HttpError(415, 'send JSON', { 'content-type': 'must be application/json' })

/** 429: too many `what`; try again after `seconds`. */
export const tooMany = (what: string, seconds: number) =>
  new HttpError(429, `too many ${what}; try again in ${seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`}`, undefined, { 'Retry-After': String(seconds) })
