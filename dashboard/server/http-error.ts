/**
 * The one error answer of every route but the two that speak another protocol: ingest's fast path
 * (`collector/ingest/route.ts`, answers of its own for the tracker) and the SQL door (ClickHouse's).
 * Its shape is `{"error": "<what happened>", "errors": {"<field>": "<what is wrong with it>"}}`, the
 * second part when fields are at fault. What is said is a catalogue key (`api.*` in dashboard/i18n),
 * written in the request's language: `?lang=`, else Accept-Language (the dashboard sends its own), else
 * English.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { negotiate, type Language } from '../i18n/languages.ts'
import { allOf, english, translator, type Values } from '../i18n/translate.ts'

/** Something to say: a message of the catalogues and its values. */
export type Said = readonly [key: string, values?: Values]

/** The language a request is answered in. */
export const requestLanguage = (c: Context): Language => negotiate(c.req.query('lang') ?? c.req.header('accept-language'))

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly said: Said,
    readonly errors?: Record<string, Said>,
    readonly headers: Record<string, string> = {},
    /** More for programs to read (`{"second_factor": true}`), beside the error. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(english(...said))
  }

  /** The answer, in the one shape and the request's language. */
  response(c: Context): Response {
    for (const [name, value] of Object.entries(this.headers)) c.header(name, value)
    const language = requestLanguage(c)
    const say = translator(language)
    c.header('Content-Language', language)
    const errors = this.errors && Object.fromEntries(Object.entries(this.errors).map(([field, said]) => [field, say(...said)]))
    return c.json({ error: say(...this.said), ...(errors && { errors }), ...this.extra }, this.status)
  }
}

/** 400: fields that are not what they may be, each with what is wrong. */
export const invalid = (errors: Record<string, Said>) => new HttpError(400, ['api.invalid', { fields: allOf(Object.keys(errors)) }], errors)

/** 401: no valid credentials (`because`, where there is more to say, as after a login). */
export const unauthenticated = (because: Said = ['api.unauthenticated']) => new HttpError(401, because)

/** 403: credentials, but not the right to this. */
export const forbidden = (why: Said, errors?: Record<string, Said>) => new HttpError(403, why, errors)

/** 404: nothing by that name (`api.notFound.*`). */
export const notFound = (what: Said) => new HttpError(404, what)

/** 413: more than `max` bytes. */
export const tooLarge = (max: number) => new HttpError(413, ['api.tooLarge', { max }], { body: ['api.field.maxBytes', { max }] })

/** 415: a body that is not JSON. */
export const notJson = () => new HttpError(415, ['api.notJson'], { 'content-type': ['api.field.json'] })

/** 429: too many failed attempts; try again after `seconds`. */
export const tooMany = (seconds: number) =>
  new HttpError(429, ['api.tooMany', { seconds, minutes: seconds < 120 ? 0 : Math.ceil(seconds / 60) }], undefined, { 'Retry-After': String(seconds) })
