/** The one error shape, each status's wording in English and French, and headers such as Retry-After, as a route answers them. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { HttpError, forbidden, invalid, notFound, notJson, tooLarge, tooMany, unauthenticated } from './http-error.ts'
import { anyOf } from '../i18n/translate.ts'

async function answer(error: HttpError, headers: Record<string, string> = {}, path = '/'): Promise<{ status: number; body: unknown; retryAfter: string | null; language: string | null }> {
  const app = new Hono()
  app.get('/', () => {
    throw error
  })
  app.onError((e, c) => (e instanceof HttpError ? e.response(c) : c.text('not an HttpError', 500)))
  const response = await app.request(path, { headers })
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after'), language: response.headers.get('content-language') }
}

describe('HttpError', () => {
  it.each([
    [invalid({ from: ['api.field.toBeforeFrom'] }), 400, { error: 'not valid: from', errors: { from: 'must not be before from' } }],
    [invalid({ format: ['api.field.oneOf', { choices: anyOf(['json', 'csv']) }], limit: ['api.field.integer', { min: 1, max: 1000 }] }), 400,
      { error: 'not valid: format and limit', errors: { format: 'must be json or csv', limit: 'must be a whole number from 1 to 1,000' } }],
    [unauthenticated(), 401, { error: 'log in, or send an API key as "Authorization: Bearer <key>"' }],
    [unauthenticated(['api.wrongPassword']), 401, { error: 'wrong email or password' }],
    [forbidden(['api.forbidden.site', { need: 'admin', site: 'a.example' }]), 403, { error: 'no admin access to a.example' }],
    [notFound(['api.notFound.share']), 404, { error: 'no such shared link' }],
    [tooLarge(1024), 413, { error: 'the request is over 1,024 bytes', errors: { body: 'must be at most 1,024 bytes' } }],
    [notJson(), 415, { error: 'send JSON', errors: { 'content-type': 'must be application/json' } }],
  ])('%o → %i', async (error, status, body) => {
    expect(await answer(error)).toEqual({ status, body, retryAfter: null, language: 'en' })
  })

  it('says when to try again', async () => {
    expect(await answer(tooMany(90))).toEqual({ status: 429, body: { error: 'too many failed attempts; try again in 90 s' }, retryAfter: '90', language: 'en' })
    expect((await answer(tooMany(600))).body).toEqual({ error: 'too many failed attempts; try again in 10 min' })
  })

  it('answers in the language the request asks for: ?lang=, else Accept-Language, else English', async () => {
    const error = invalid({ format: ['api.field.oneOf', { choices: anyOf(['json', 'csv']) }], to: ['api.field.toBeforeFrom'] })
    const french = { error: 'non valide\u00a0: format et to', errors: { format: 'doit valoir json ou csv', to: 'ne doit pas précéder from' } }
    expect(await answer(error, { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8' })).toMatchObject({ body: french, language: 'fr' })
    expect(await answer(error, { 'accept-language': 'en' }, '/?lang=fr')).toMatchObject({ body: french, language: 'fr' })
    expect(await answer(error, { 'accept-language': 'de-DE,fr;q=0.5' })).toMatchObject({ body: french, language: 'fr' })
    expect(await answer(error, { 'accept-language': 'de-DE' })).toMatchObject({ language: 'en' })
    expect((await answer(tooLarge(1_000_000), { 'accept-language': 'fr' })).body).toEqual({ error: 'la requête dépasse 1\u202f000\u202f000 octets', errors: { body: 'doit faire au plus 1\u202f000\u202f000 octets' } })
    // The exception itself stays English, for logs.
    expect(error.message).toBe('not valid: format and to')
  })
})
