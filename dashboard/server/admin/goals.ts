/**
 * Goals and saved funnels (docs/admin-api.md): whoever reads a site lists them; its admins define,
 * change and remove them. A goal is a query, so a change applies to past data at once.
 */
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import { GOAL_KINDS, deleteFunnel, deleteGoal, newGoalId, readFunnels, readGoals, saveFunnel, saveGoal, type Goal, type GoalKind, type SavedFunnel } from '../../../sql/goals.ts'
import { isPathPattern, type SiteList } from '../../../sql/sites.ts'
import { authorize, type Principal } from '../auth/access.ts'
import { anyOf } from '../../i18n/translate.ts'
import { HttpError, invalid, notFound, type Said } from '../http-error.ts'
import { jsonBody } from '../params.ts'

type Env = { Variables: { principal: Principal | undefined } }

const MAX_GOALS = 100
const THRESHOLDS: Partial<Record<GoalKind, { min: number; max: number }>> = { scroll: { min: 1, max: 100 }, engagement: { min: 1, max: 3600 } }

/** A goal as the API shows it. */
export const goalJson = (g: Goal) => ({
  id: g.id,
  name: g.name,
  kind: g.kind,
  ...(g.kind === 'event' && { event_name: g.eventName, ...(g.propKey && { prop_key: g.propKey, prop_value: g.propValue }) }),
  ...(g.kind !== 'event' && { pattern: g.pattern }),
  ...(THRESHOLDS[g.kind] && { threshold: g.threshold }),
})

/** A goal from a body (over `base` when changing one); every field at fault named at once. */
export function goalFields(input: Record<string, unknown>, base?: Goal): Goal {
  const errors: Record<string, Said> = {}
  const text = (name: string, max: number, fallback = ''): string => {
    const value = input[name] ?? fallback
    if (typeof value !== 'string' || value.length > max) {
      errors[name] = ['api.field.maxChars', { max }]
      return ''
    }
    return value.trim()
  }
  const kind = (input.kind ?? base?.kind) as GoalKind
  if (!GOAL_KINDS.includes(kind)) errors.kind = ['api.field.oneOf', { choices: anyOf(GOAL_KINDS) }]
  const goal: Goal = {
    id: base?.id ?? newGoalId(),
    name: text('name', 100, base?.name),
    kind,
    eventName: text('event_name', 120, base?.eventName),
    propKey: text('prop_key', 100, base?.propKey),
    propValue: text('prop_value', 500, base?.propValue),
    pattern: text('pattern', 500, base?.pattern),
    threshold: 0,
  }
  if (kind === 'event' && !goal.eventName) errors.event_name = ['api.field.required']
  if (kind === 'event' && goal.propValue && !goal.propKey) errors.prop_key = ['api.field.required']
  if ((kind === 'page' || kind === 'scroll' || kind === 'engagement') && !isPathPattern(goal.pattern)) errors.pattern = ['api.field.pathPattern', { value: goal.pattern }]
  if ((kind === 'download' || kind === 'outbound') && /\s/.test(goal.pattern)) errors.pattern = ['api.field.urlPattern', { value: goal.pattern }]
  const bounds = THRESHOLDS[kind]
  if (bounds) {
    const value = input.threshold ?? base?.threshold
    if (!Number.isInteger(value) || (value as number) < bounds.min || (value as number) > bounds.max) errors.threshold = ['api.field.integer', bounds]
    else goal.threshold = value as number
  }
  if (Object.keys(errors).length > 0) throw invalid(errors)
  if (kind !== 'event') goal.eventName = goal.propKey = goal.propValue = ''
  if (kind === 'event') goal.pattern = ''
  // Without a name, the definition names it: the event, or the pattern and threshold.
  goal.name ||= kind === 'event' ? goal.eventName : `${kind}: ${goal.pattern || '*'}${kind === 'scroll' ? ` ≥ ${goal.threshold} %` : kind === 'engagement' ? ` ≥ ${goal.threshold} s` : ''}`
  return goal
}

export function goalsRoute(storage: Storage, sites: SiteList): Hono<Env> {
  const app = new Hono<Env>()
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string, need: 'read' | 'admin') => authorize(c.get('principal'), site, need, (s) => sites.has(s))
  const find = async (site: string, id: string) => {
    const goal = (await readGoals(storage, site)).find((g) => g.id === id)
    if (!goal) throw notFound(['api.notFound.goal', { id }])
    return goal
  }

  app.get('/api/sites/:site/goals', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'read')
    return c.json({ goals: (await readGoals(storage, site)).map(goalJson) })
  })

  app.post('/api/sites/:site/goals', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    if ((await readGoals(storage, site)).length >= MAX_GOALS) throw new HttpError(409, ['api.conflict.goals', { max: MAX_GOALS }])
    const goal = goalFields(await jsonBody(c))
    await saveGoal(storage, site, goal)
    return c.json(goalJson(goal), 201)
  })

  app.patch('/api/sites/:site/goals/:id', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    const goal = goalFields(await jsonBody(c), await find(site, c.req.param('id')))
    await saveGoal(storage, site, goal)
    return c.json(goalJson(goal))
  })

  app.delete('/api/sites/:site/goals/:id', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    await find(site, c.req.param('id'))
    await deleteGoal(storage, site, c.req.param('id'))
    return c.body(null, 204)
  })

  /** A saved funnel from a body (over `base` when changing one): 2–8 of the site's goals, no engaged-time one. */
  const funnelFields = async (site: string, input: Record<string, unknown>, base?: SavedFunnel): Promise<SavedFunnel> => {
    const errors: Record<string, Said> = {}
    const goals = await readGoals(storage, site)
    const name = input.name ?? base?.name ?? ''
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) errors.name = ['api.field.name', { max: 100 }]
    const steps = input.steps ?? base?.steps
    const valid = Array.isArray(steps) && steps.length >= 2 && steps.length <= 8 && steps.every((id) => goals.some((g) => g.id === id))
    if (!valid) errors.steps = ['api.field.funnelSteps', { min: 2, max: 8 }]
    else if (steps.some((id) => goals.find((g) => g.id === id)!.kind === 'engagement')) errors.steps = ['api.field.funnelEngagement']
    const within = input.within ?? base?.within ?? 'visit'
    if (within !== 'visit' && within !== 'range') errors.within = ['api.field.oneOf', { choices: anyOf(['visit', 'range']) }]
    if (Object.keys(errors).length > 0) throw invalid(errors)
    return { id: base?.id ?? newGoalId(), name: (name as string).trim(), steps: steps as string[], within: within as SavedFunnel['within'] }
  }
  const findFunnel = async (site: string, id: string) => {
    const funnel = (await readFunnels(storage, site)).find((f) => f.id === id)
    if (!funnel) throw notFound(['api.notFound.funnel', { id }])
    return funnel
  }

  app.get('/api/sites/:site/funnels', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'read')
    return c.json({ funnels: await readFunnels(storage, site) })
  })

  app.post('/api/sites/:site/funnels', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    if ((await readFunnels(storage, site)).length >= MAX_GOALS) throw new HttpError(409, ['api.conflict.funnels', { max: MAX_GOALS }])
    const funnel = await funnelFields(site, await jsonBody(c))
    await saveFunnel(storage, site, funnel)
    return c.json(funnel, 201)
  })

  app.patch('/api/sites/:site/funnels/:id', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    const funnel = await funnelFields(site, await jsonBody(c), await findFunnel(site, c.req.param('id')))
    await saveFunnel(storage, site, funnel)
    return c.json(funnel)
  })

  app.delete('/api/sites/:site/funnels/:id', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    await findFunnel(site, c.req.param('id'))
    await deleteFunnel(storage, site, c.req.param('id'))
    return c.body(null, 204)
  })

  return app
}
