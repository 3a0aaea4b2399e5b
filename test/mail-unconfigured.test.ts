/**
 * Without SMTP configured (its own process: one engine data directory each): nothing is mailed, the
 * admin gets the link to pass on, and it works; a person asking for a reset is told mail is not available.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { callApi, json, loginCookie, passwordOf } from './helpers/admin-api.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('mail-bare')
const OWNER = 'owner@mail.test'

describe('without SMTP', { timeout: 60_000 }, () => {
  let bare: TestServer
  let admin = ''
  beforeAll(async () => {
    bare = await TestServer.start({ sites: [SITE], env: { CAIRN_PUBLIC_URL: 'https://analytics.mail.test' } })
    await addUser(bare.server.collector.access, OWNER, passwordOf(OWNER), 'admin', '*')
    admin = await loginCookie(bare, OWNER, passwordOf(OWNER))
  })
  afterAll(() => bare?.stop())

  it('gives the admin the link to pass on, which works; a reset asked for says mail is not available', async () => {
    const invited = await json<{ mailed: boolean; link: string }>(await callApi(bare, 'POST', `/api/sites/${SITE}/invitations`, { headers: { cookie: admin }, body: { email: 'paul@mail.test', role: 'viewer' } }))
    expect(invited.mailed).toBe(false)
    const token = decodeURIComponent(/^https:\/\/analytics\.mail\.test\/\?token=(\S+)$/.exec(invited.link)![1]!)
    expect((await callApi(bare, 'POST', '/api/auth/token', { body: { token, password: 'paul password 42' } })).status).toBe(200)
    expect(await loginCookie(bare, 'paul@mail.test', 'paul password 42')).not.toBe('')
    expect(await json(await callApi(bare, 'POST', '/api/auth/reset', { body: { email: 'paul@mail.test' } }))).toEqual({ mailed: false })
    expect(await json(await callApi(bare, 'GET', '/api/mail', { headers: { cookie: admin } }))).toMatchObject({ configured: false, from: null })
    expect(bare.server.collector.mailer.stats.sent.invite).toBe(0)
  })
})
