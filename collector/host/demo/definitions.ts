/**
 * What the demo site shows besides traffic, so a first start shows every feature on the first screen:
 * goals on the demo's own events and pages, a saved funnel (pricing → signup → demo request)
 * and a few annotations on the graph.
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from '../../../sql/client.ts'
import { newGoalId, readGoals, saveFunnel, saveGoal, type Goal } from '../../../sql/goals.ts'

const blank = { eventName: '', propKey: '', propValue: '', pattern: '', threshold: 0 }

/** The demo's goals, in funnel order first. */
export const DEMO_GOALS: Omit<Goal, 'id'>[] = [
  { ...blank, name: 'Visit pricing', kind: 'page', pattern: '/pricing' },
  { ...blank, name: 'Signup', kind: 'event', eventName: 'Signup' },
  { ...blank, name: 'Demo request', kind: 'event', eventName: 'Demo Request' },
  { ...blank, name: 'Pro plan', kind: 'event', eventName: 'Signup', propKey: 'plan', propValue: 'pro' },
  { ...blank, name: 'Newsletter', kind: 'event', eventName: 'Newsletter Subscribe' },
  { ...blank, name: 'Download', kind: 'download' },
  { ...blank, name: 'Pricing read', kind: 'scroll', pattern: '/pricing', threshold: 75 },
]

/** Notes a marketing team would leave, days before the end of the demo's range. */
const DEMO_ANNOTATIONS: [daysAgo: number, text: string][] = [
  [21, 'Spring campaign launched'],
  [12, 'Pricing page redesign'],
  [4, 'Newsletter sent'],
]

/** Goals and annotations for `site`, once (a site that already has goals keeps its own). */
export async function seedDefinitions(storage: Storage, site: string, endMs = Date.now()): Promise<void> {
  if ((await readGoals(storage, site)).length > 0) return
  const ids: string[] = []
  for (const goal of DEMO_GOALS) {
    ids.push(newGoalId())
    await saveGoal(storage, site, { id: ids[ids.length - 1]!, ...goal })
  }
  await saveFunnel(storage, site, { id: newGoalId(), name: 'Pricing to demo request', steps: ids.slice(0, 3), within: 'visit' })
  await storage.insert({
    table: 'cairn.annotations',
    values: DEMO_ANNOTATIONS.map(([daysAgo, text], i) => ({
      site,
      id: randomBytes(8).toString('hex'),
      day: new Date(endMs - daysAgo * 86_400_000).toISOString().slice(0, 10),
      text,
      author: 'demo',
      version: Date.now() * 1000 + i,
    })),
    format: 'JSONEachRow',
  })
}
