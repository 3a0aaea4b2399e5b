/**
 * Password guessing, from the outside: the login route and the SQL door share a brake per account and
 * address (429 + Retry-After, right password or wrong), and answer an unknown user, a wrong password and a
 * right password without the rights the same way, in the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { LIMITS, WINDOW_MS } from '../dashboard/server/auth/attempts.ts'
import { Clock, MINUTE, TestServer } from './helpers/server.ts'

const clock = new Clock()
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: ['guess.example'], clock, env: { TRUST_PROXY: '1' } })
  await addUser(server.server.collector.access, 'owner@example.com', 'the right password', 'admin', '*')
  await addUser(server.server.collector.access, 'marketing@example.com', 'marketing password', 'viewer', 'guess.example')
})
afterAll(() => server.stop())

/** A request as if from `address` (the test server believes one proxy hop). */
const from = (address: string) => ({ 'x-forwarded-for': address })

const login = (email: string, password: string, address: string) =>
  fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...from(address) }, body: JSON.stringify({ email, password }) })

const door = (user: string, password: string, address: string) =>
  fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, ...from(address) } })

describe('the login route', () => {
  it('stops 200 quick guesses after 10, and then refuses the right password too', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 200; i++) statuses.push((await login('owner@example.com', `guess ${i}`, '198.51.100.7')).status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMITS.pair)
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - LIMITS.pair)
    const right = await login('owner@example.com', 'the right password', '198.51.100.7')
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(right.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_MS / 1000)
    expect(right.headers.getSetCookie()).toEqual([])
    // The same network (the same /24) is the same address to the brake.
    expect((await login('owner@example.com', 'the right password', '198.51.100.200')).status).toBe(429)
    // The owner, elsewhere, is not locked out by it.
    expect((await login('owner@example.com', 'the right password', '203.0.113.9')).status).toBe(200)
    // Nor is the SQL door any kinder to that address.
    expect((await door('owner@example.com', 'the right password', '198.51.100.7')).status).toBe(429)
  })

  it('lets the address in again once the window has passed', async () => {
    clock.advance(WINDOW_MS + MINUTE)
    expect((await login('owner@example.com', 'the right password', '198.51.100.7')).status).toBe(200)
  })

  it('stops one address trying many accounts', async () => {
    const statuses: number[] = []
    for (let i = 0; i < LIMITS.address + 5; i++) statuses.push((await login(`user${i}@example.com`, 'password', '192.0.2.44')).status)
    expect(statuses.slice(0, LIMITS.address).every((s) => s === 401)).toBe(true)
    expect(statuses.slice(LIMITS.address)).toEqual([429, 429, 429, 429, 429])
    clock.advance(WINDOW_MS + MINUTE)
  }, 60_000)
})

describe('the SQL door', () => {
  it('stops quick guesses the same way, with ClickHouse’s code', async () => {
    const answers: number[] = []
    for (let i = 0; i < 30; i++) answers.push((await door('owner@example.com', `guess ${i}`, '198.51.100.99')).status)
    expect(answers.filter((s) => s === 401)).toHaveLength(LIMITS.pair)
    const right = await door('owner@example.com', 'the right password', '198.51.100.99')
    expect([right.status, right.headers.get('x-clickhouse-exception-code')]).toEqual([429, '516'])
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
    clock.advance(WINDOW_MS + MINUTE)
  })

  it('answers a right password without a role on every site as it answers a wrong one', async () => {
    const noRights = await door('marketing@example.com', 'marketing password', '203.0.113.50')
    const wrong = await door('marketing@example.com', 'not the password', '203.0.113.51')
    const unknown = await door('nobody@example.com', 'not the password', '203.0.113.52')
    for (const r of [noRights, wrong, unknown]) expect([r.status, r.headers.get('x-clickhouse-exception-code')]).toEqual([401, '516'])
    const text = async (r: Response, user: string) => (await r.text()).replaceAll(user, 'USER')
    const [a, b, c] = [await text(noRights, 'marketing@example.com'), await text(wrong, 'marketing@example.com'), await text(unknown, 'nobody@example.com')]
    expect(a).toBe(b)
    expect(b).toBe(c)
  })
})

describe('timing', () => {
  /** Median milliseconds of `n` calls, each from its own address so the brake stays out of it. */
  async function median(n: number, call: (address: string) => Promise<Response>): Promise<number> {
    const times: number[] = []
    for (let i = 0; i < n; i++) {
      const started = performance.now()
      await (await call(`10.${times.length}.${n}.1`)).text()
      times.push(performance.now() - started)
    }
    return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
  }

  it('costs an unknown user what a wrong password costs, on the login route and the door', async () => {
    // Each check runs scrypt (tens of ms); without a user to check against, the answer used to come in ~3 ms.
    const loginWrong = await median(7, (a) => login('owner@example.com', 'wrong password', a))
    const loginUnknown = await median(7, (a) => login('nobody@example.com', 'wrong password', a))
    const doorWrong = await median(7, (a) => door('owner@example.com', 'wrong password', a))
    const doorUnknown = await median(7, (a) => door('nobody@example.com', 'wrong password', a))
    console.log(`median ms: login wrong ${loginWrong.toFixed(1)}, unknown ${loginUnknown.toFixed(1)}; door wrong ${doorWrong.toFixed(1)}, unknown ${doorUnknown.toFixed(1)}`)
    expect(loginUnknown).toBeGreaterThan(loginWrong * 0.5)
    expect(doorUnknown).toBeGreaterThan(doorWrong * 0.5)
  })
})
