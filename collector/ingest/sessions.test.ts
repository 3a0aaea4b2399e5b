/** Open sessions in memory: bounded, oldest activity evicted first. */
import { describe, expect, it } from 'vitest'
import { Sessions, type Attribution } from './sessions.ts'

const direct: Attribution = { referrer: '', referrer_source: '', utm_source: '', utm_medium: '', utm_campaign: '', utm_content: '', utm_term: '' }

describe('Sessions', () => {
  it('keeps at most maxOpen visits, evicting the least recently active', () => {
    const sessions = new Sessions(30 * 60_000, 3)
    const first = sessions.touch('s', 'a', 0, direct)
    sessions.touch('s', 'b', 1, direct)
    sessions.touch('s', 'c', 2, direct)
    expect(sessions.touch('s', 'a', 3, direct).id).toBe(first.id) // a is active again: b is now the oldest
    sessions.touch('s', 'd', 4, direct)
    expect(sessions.size).toBe(3)
    expect(sessions.find('s', 'b', 5)).toBeUndefined()
    expect(sessions.find('s', 'a', 5)?.id).toBe(first.id)
    expect(sessions.find('s', 'c', 5)).toBeDefined()
  })
})
