/**
 * Goals of a site (docs/admin-api.md, "Goals"): the list (name, kind, definition); adding one (its kind
 * chosen first: a custom event with an optional property, a page path pattern, a download or an outbound
 * link by URL pattern, a scroll depth or an engaged time on a path), changing one, removing one after a
 * confirmation. A goal is a query: the dashboard counts past visits by it at once.
 */
import { css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { api, send, sitePath } from '../api.ts'
import { Localized, formatDuration, formatPercent, number, t, tt } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, fieldError, fieldState, formProblem, openDialog, problemOf, textField, type Problem } from './common.ts'

/** The kinds of goals, in the order of the form's menu; `ui.goals.kind.<kind>` names each. */
export const GOAL_KINDS = ['page', 'event', 'download', 'outbound', 'scroll', 'engagement'] as const
export type GoalKind = (typeof GOAL_KINDS)[number]

/** A goal as the admin API shows it. */
export interface GoalInfo {
  id: string
  name: string
  kind: GoalKind
  event_name?: string
  prop_key?: string
  prop_value?: string
  pattern?: string
  threshold?: number
}

/** What the form holds, each kind's fields apart, so that trying another kind loses nothing typed. */
interface Draft {
  kind: GoalKind
  name: string
  event_name: string
  prop_key: string
  prop_value: string
  /** page, scroll, engagement: a path pattern. */
  path: string
  /** download, outbound: a URL pattern ('' for any). */
  url: string
  percent: string
  seconds: string
}

const PATH_KINDS: readonly GoalKind[] = ['page', 'scroll', 'engagement']

const emptyDraft = (): Draft => ({ kind: 'page', name: '', event_name: '', prop_key: '', prop_value: '', path: '', url: '', percent: '75', seconds: '30' })

/**
 * The name the server gives a goal saved without one (dashboard/server/admin/goals.ts): such a name is
 * shown as an empty field when the goal is edited, so that a changed definition names it again.
 */
const definitionName = (g: GoalInfo): string =>
  g.kind === 'event'
    ? (g.event_name ?? '')
    : `${g.kind}: ${g.pattern || '*'}${g.kind === 'scroll' ? ` ≥ ${g.threshold} %` : g.kind === 'engagement' ? ` ≥ ${g.threshold} s` : ''}`

const draftOf = (g: GoalInfo): Draft => ({
  ...emptyDraft(),
  kind: g.kind,
  name: g.name === definitionName(g) ? '' : g.name,
  event_name: g.event_name ?? '',
  prop_key: g.prop_key ?? '',
  prop_value: g.prop_value ?? '',
  ...(PATH_KINDS.includes(g.kind) ? { path: g.pattern ?? '' } : { url: g.pattern ?? '' }),
  ...(g.kind === 'scroll' && { percent: String(g.threshold ?? '') }),
  ...(g.kind === 'engagement' && { seconds: String(g.threshold ?? '') }),
})

/** A whole number typed, or null (which the server refuses, naming the field). */
const whole = (text: string): number | null => (text.trim() === '' ? null : Number(text))

/** The request's body for a draft: the fields of its kind only. */
function bodyOf(d: Draft): Record<string, unknown> {
  const name = d.name.trim()
  switch (d.kind) {
    case 'event':
      return { kind: d.kind, name, event_name: d.event_name.trim(), prop_key: d.prop_key.trim(), prop_value: d.prop_value.trim() }
    case 'download':
    case 'outbound':
      return { kind: d.kind, name, pattern: d.url.trim() }
    case 'scroll':
      return { kind: d.kind, name, pattern: d.path.trim(), threshold: whole(d.percent) }
    case 'engagement':
      return { kind: d.kind, name, pattern: d.path.trim(), threshold: whole(d.seconds) }
    default:
      return { kind: d.kind, name, pattern: d.path.trim() }
  }
}

/** A goal's definition in words, its visitors' values (event names, patterns) shown as they are. */
export function definition(g: GoalInfo) {
  const code = (text: string) => html`<code>${shown(text)}</code>`
  const pattern = code(g.pattern ?? '')
  const threshold = g.threshold ?? 0
  switch (g.kind) {
    case 'event':
      return g.prop_key
        ? tt('ui.goals.def.eventProp', { event: code(g.event_name ?? ''), key: code(g.prop_key), value: code(g.prop_value ?? '') })
        : tt('ui.goals.def.event', { event: code(g.event_name ?? '') })
    case 'page':
      return tt('ui.goals.def.page', { pattern })
    case 'download':
      return g.pattern ? tt('ui.goals.def.download', { pattern }) : t('ui.goals.def.downloadAny')
    case 'outbound':
      return g.pattern ? tt('ui.goals.def.outbound', { pattern }) : t('ui.goals.def.outboundAny')
    case 'scroll':
      return tt('ui.goals.def.scroll', { pattern, percent: number(threshold, formatPercent(threshold)) })
    case 'engagement':
      return tt('ui.goals.def.engagement', { pattern, duration: number(threshold, formatDuration(threshold)) })
    default:
      return nothing
  }
}

export class CairnSettingsGoals extends Localized {
  static override styles = [
    panel,
    forms,
    css`
      h2:focus { outline: none; }
      form.goal { border: 1px solid var(--border); border-radius: 10px; padding: 4px 14px 14px; margin: 12px 0 16px; background: var(--bg); }
      form.goal h3 { font-size: 15px; }
      form.goal h3:focus { outline: none; }
      form.goal input:not([type='checkbox'], [type='radio']), form.goal select { background: var(--panel); }
      form.goal input[type='number'] { max-width: 160px; }
      .pair { display: flex; flex-wrap: wrap; gap: 0 12px; }
      .pair > div { flex: 1 1 180px; min-width: 0; max-width: 224px; }
      td.name { font-weight: 600; }
      td.definition { font-size: 13px; }
      td.definition code { font-size: 12px; background: var(--chip); border-radius: 4px; padding: 1px 4px; overflow-wrap: anywhere; }
      @media (max-width: 600px) { .pair > div { max-width: none; } }
    `,
  ]

  static override properties = {
    site: { type: String },
    editing: { state: true },
    draft: { state: true },
    busy: { state: true },
    problem: { state: true },
    removing: { state: true },
    done: { state: true },
  }

  /** The site whose goals are shown. */
  declare site: string
  /** The form: closed (undefined), adding ('') or changing the goal of that id. */
  declare editing: string | undefined
  /** What the form holds. */
  declare draft: Draft
  declare busy: '' | 'save' | 'remove'
  declare problem: { form: 'save' | 'remove'; problem: Problem } | undefined
  /** The goal the removal dialog asks about. */
  declare removing: GoalInfo | undefined
  /** What was just done, said in the status line. */
  declare done: string

  private readonly goals = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => (site ? (await api<{ goals: GoalInfo[] }>(`${sitePath(site)}/goals`)).goals : initialState),
  })

  constructor() {
    super()
    this.site = ''
    this.draft = emptyDraft()
    this.busy = ''
    this.done = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('site') && changed.get('site') !== undefined) {
      this.editing = undefined
      this.done = ''
      this.problem = undefined
    }
  }

  private problemOf(form: 'save' | 'remove'): Problem | undefined {
    return this.problem?.form === form ? this.problem.problem : undefined
  }

  override render() {
    return html`
      <header>
        <h2 tabindex="-1">${t('ui.goals.heading', { site: this.site })}</h2>
        ${this.editing === undefined ? html`<button type="button" class="primary add" @click=${() => this._open()}>${t('ui.goals.add')}</button>` : nothing}
      </header>
      <p>${t('ui.goals.intro')}</p>
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.editing !== undefined ? this._form() : nothing}
      ${this.goals.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (goals) => this._table(goals),
      })}
      ${confirmDialog({
        id: 'remove-goal',
        heading: t('ui.goals.removeHeading', { name: this.removing?.name ?? '' }),
        body: html`<p>${t('ui.goals.removeBody')}</p>`,
        confirm: t('ui.goals.removeSubmit'),
        busy: this.busy === 'remove',
        problem: this.problemOf('remove'),
        onSubmit: this._remove,
        onClose: () => {
          if (this.problem?.form === 'remove') this.problem = undefined
        },
      })}
    `
  }

  private _table(goals: GoalInfo[]) {
    if (goals.length === 0) return html`<p class="muted none">${t('ui.goals.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="goals-caption">
      <table>
        <caption id="goals-caption">${t('ui.goals.caption', { site: this.site })}</caption>
        <thead>
          <tr>
            <th scope="col">${t('ui.goals.name')}</th>
            <th scope="col">${t('ui.goals.kind')}</th>
            <th scope="col">${t('ui.goals.definition')}</th>
            <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${goals.map(
            (g) => html`<tr data-goal=${g.id}>
              <td class="name">${shown(g.name)}</td>
              <td class="nowrap">${t(`ui.goals.kind.${g.kind}`)}</td>
              <td class="definition">${definition(g)}</td>
              <td>
                <div class="row-actions">
                  <button type="button" class="edit" aria-label=${t('ui.goals.editOf', { name: g.name })} aria-expanded=${this.editing === g.id ? 'true' : 'false'} @click=${() => this._open(g)}>${t('ui.goals.edit')}</button>
                  <button type="button" class="danger" aria-label=${t('ui.goals.removeOf', { name: g.name })} @click=${() => this._ask(g)}>${t('ui.settings.remove')}</button>
                </div>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  }

  /** The add or edit form: the kind first, then its fields, then the optional name. */
  private _form() {
    const problem = this.problemOf('save')
    const d = this.draft
    const kind = fieldState(problem, 'goal-kind', 'kind', true)
    const adding = this.editing === ''
    return html`<form class="goal" @submit=${this._save} @input=${this._input} novalidate aria-labelledby="goal-heading">
      <h3 id="goal-heading" tabindex="-1">${adding ? t('ui.goals.addHeading') : t('ui.goals.editHeading')}</h3>
      <label for="goal-kind">${t('ui.goals.kind')}</label>
      <select id="goal-kind" name="kind" aria-invalid=${kind.invalid} aria-describedby=${ifDefined(kind.describedby)} @change=${this._kind}>
        ${GOAL_KINDS.map((k) => html`<option value=${k} ?selected=${k === d.kind}>${t(`ui.goals.kind.${k}`)}</option>`)}
      </select>
      <p class="hint" id="goal-kind-hint">${t(`ui.goals.hint.${d.kind}`)}</p>
      ${fieldError(problem, 'goal-kind', 'kind')} ${this._fields(d, problem)}
      ${textField({ id: 'goal-name', name: 'name', label: t('ui.goals.nameOptional'), problem, value: d.name, autocomplete: 'off', hint: t('ui.goals.nameHint') })}
      ${formProblem(problem)}
      <div class="actions">
        <button type="submit" class="primary" ?disabled=${this.busy === 'save'}>${this.busy === 'save' ? t('ui.settings.working') : adding ? t('ui.goals.addSubmit') : t('ui.settings.save')}</button>
        <button type="button" class="cancel" @click=${this._cancel}>${t('ui.settings.cancel')}</button>
      </div>
    </form>`
  }

  /** The fields of the draft's kind. */
  private _fields(d: Draft, problem: Problem | undefined) {
    const text = { problem, autocomplete: 'off' }
    switch (d.kind) {
      case 'event':
        return html`${textField({ ...text, id: 'goal-event_name', name: 'event_name', label: t('ui.goals.eventName'), value: d.event_name, required: true, hint: t('ui.goals.eventNameHint') })}
          <fieldset>
            <legend>${t('ui.goals.property')}</legend>
            <div class="pair">
              <div>${textField({ ...text, id: 'goal-prop_key', name: 'prop_key', label: t('ui.goals.propKey'), value: d.prop_key })}</div>
              <div>${textField({ ...text, id: 'goal-prop_value', name: 'prop_value', label: t('ui.goals.propValue'), value: d.prop_value })}</div>
            </div>
          </fieldset>`
      case 'download':
      case 'outbound':
        return textField({ ...text, id: 'goal-url', name: 'pattern', label: t('ui.goals.urlPattern'), value: d.url, inputmode: 'url', hint: t(`ui.goals.urlHint.${d.kind}`) })
      default:
        return html`${textField({ ...text, id: 'goal-path', name: 'pattern', label: t('ui.goals.pathPattern'), value: d.path, required: true, hint: t('ui.goals.pathHint') })}
        ${d.kind === 'scroll'
          ? textField({ ...text, id: 'goal-percent', name: 'threshold', type: 'number', label: t('ui.goals.percent'), value: d.percent, required: true, inputmode: 'numeric', hint: t('ui.goals.percentHint') })
          : d.kind === 'engagement'
            ? textField({ ...text, id: 'goal-seconds', name: 'threshold', type: 'number', label: t('ui.goals.seconds'), value: d.seconds, required: true, inputmode: 'numeric', hint: t('ui.goals.secondsHint') })
            : nothing}`
    }
  }

  /** Each field's text kept in the draft as it is typed (its id names it: goal-<field>). */
  private readonly _input = (event: Event): void => {
    const target = event.target as HTMLInputElement
    const key = target.id.slice('goal-'.length) as keyof Draft
    if (key !== 'kind' && key in this.draft) (this.draft as unknown as Record<string, string>)[key] = target.value
  }

  private readonly _kind = (event: Event): void => {
    this.draft = { ...this.draft, kind: (event.target as HTMLSelectElement).value as GoalKind }
    // The refusal was about the fields of the kind left.
    this.problem = undefined
  }

  /** Opens the form: empty to add a goal, or holding `goal` to change it. Focus moves to its heading. */
  private async _open(goal?: GoalInfo): Promise<void> {
    this.editing = goal?.id ?? ''
    this.draft = goal ? draftOf(goal) : emptyDraft()
    this.problem = undefined
    this.done = ''
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('#goal-kind')?.focus()
  }

  private readonly _cancel = async (): Promise<void> => {
    const id = this.editing
    this.editing = undefined
    this.problem = undefined
    await this.updateComplete
    this._focusAfter(id)
  }

  /** After the form closes: the goal's own Edit button, or the Add button. */
  private _focusAfter(id: string | undefined): void {
    const row = id ? this.renderRoot.querySelector<HTMLElement>(`tr[data-goal="${CSS.escape(id)}"] button.edit`) : null
    ;(row ?? this.renderRoot.querySelector<HTMLElement>('header button.add') ?? this.renderRoot.querySelector<HTMLElement>('h2'))?.focus()
  }

  private readonly _save = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const id = this.editing
    if (id === undefined) return
    this.busy = 'save'
    try {
      const goal = id
        ? await send<GoalInfo>('PATCH', `${sitePath(this.site)}/goals/${encodeURIComponent(id)}`, bodyOf(this.draft))
        : await send<GoalInfo>('POST', `${sitePath(this.site)}/goals`, bodyOf(this.draft))
      this.problem = undefined
      this.editing = undefined
      this.done = t(id ? 'ui.goals.saved' : 'ui.goals.added', { name: goal.name })
      await this.goals.run()
      await this.updateComplete
      this._focusAfter(goal.id)
    } catch (error) {
      this.problem = { form: 'save', problem: problemOf(error) }
      await this.updateComplete
      // The first field marked invalid, else the summary.
      this.renderRoot.querySelector<HTMLElement>('form.goal [aria-invalid="true"]')?.focus()
    } finally {
      this.busy = ''
    }
  }

  private async _ask(goal: GoalInfo): Promise<void> {
    this.removing = goal
    this.problem = undefined
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#remove-goal'), () => this.renderRoot.querySelector<HTMLElement>('header button.add') ?? this.renderRoot.querySelector<HTMLElement>('h2'))
  }

  private readonly _remove = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const goal = this.removing
    if (!goal) return
    this.busy = 'remove'
    try {
      await send('DELETE', `${sitePath(this.site)}/goals/${encodeURIComponent(goal.id)}`)
      this.problem = undefined
      if (this.editing === goal.id) this.editing = undefined
      this.done = t('ui.goals.removed', { name: goal.name })
      await this.goals.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#remove-goal')?.close()
    } catch (error) {
      this.problem = { form: 'remove', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-goals', CairnSettingsGoals)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-goals': CairnSettingsGoals
  }
}
