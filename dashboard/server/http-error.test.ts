/** The one error shape, each status's wording, and headers such as Retry-After, as a route answers them. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { HttpError, forbidden, invalid, notFound, notJson, tooLarge, tooMany, unauthenticated } from './http-error.ts'

async function answer(error: HttpError): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  const app = new Hono()
  app.get('/', () => {
    throw error
  })
  app.onError((e, c) => (e instanceof HttpError ? e.response(c) : c.text('not an HttpError', 500)))
  const response = await app.request('/')
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') }
}

describe('HttpError', () => {
  it.each([
    [invalid({ from: 'must be a date' }), 400, { error: 'not valid: from', errors: { from: 'must be a date' } }],
    [unauthenticated(), 401, { error: 'log in, or send an API key as "Authorization: Bearer <key>"' }],
    [unauthenticated('wrong email or password'), 401, { error: 'wrong email or password' }],
    [forbidden('no admin access to a.example'), 403, { error: 'no admin access to a.example' }],
    [notFound('shared link'), 404, { error: 'no such shared link' }],
    [tooLarge(1024), 413, { error: 'the request is over 1,024 bytes', errors: { body: 'must be at most 1024 bytes' } }],
    [notJson(), 415, { error: 'send JSON', errors: { 'content-type': 'must be application/json' } }],
  ])('%o → %i', async (error, status, body) => {
    expect(await answer(error)).toEqual({ status, body, retryAfter: null })
  })

  it('says when to try again', async () => {
    expect(await answer(tooMany('failed attempts', 90))).toEqual({ status: 429, body: { error: 'too many failed attempts; try again in 90 s' }, retryAfter: '90' })
    expect((await answer(tooMany('failed attempts', 600))).body).toEqual({ error: 'too many failed attempts; try again in 10 min' })
  })
})
