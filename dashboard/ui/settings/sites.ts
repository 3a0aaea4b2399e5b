/**
 * Sites: the list; adding one (domain, time zone, extra domains, exclusions), then its snippet; editing;
 * the installation check (the last event received); removing, after the domain is typed again.
 */
import { css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { send, api, sitePath } from '../api.ts'
import { Localized, formatCount, number, t, tt } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import {
  ago,
  chooseSite,
  confirmDialog,
  field,
  fieldError,
  fieldState,
  formProblem,
  instant,
  lines,
  openDialog,
  problemOf,
  sitesChanged,
  snippet,
  textField,
  type Problem,
  type SiteInfo,
} from './common.ts'

interface Status {
  last_event_at: string | null
  events_24h: number
}

/** Every IANA time zone the browser knows (with UTC, which some leave out). */
const zones = (): string[] => {
  const all = Intl.supportedValuesOf('timeZone')
  return all.includes('UTC') ? all : ['UTC', ...all]
}

/**
 * @fires cairn-manage - {site}: the site whose details are shown
 * @fires cairn-sites-changed - a site was added, changed or removed
 */
export class CairnSettingsSites extends Localized {
  static override styles = [
    panel,
    forms,
    css`
      .detail { border-top: 1px solid var(--border); margin-top: 18px; padding-top: 4px; }
      .detail h3 { font-size: 16px; }
      .detail h3:focus, h2:focus { outline: none; }
      .check { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
      textarea.snippet { max-width: none; min-height: 56px; }
      td.site { font-weight: 600; }
      td.list { font-size: 13px; color: var(--muted); }
    `,
  ]

  static override properties = {
    sites: { attribute: false },
    canAdd: { type: Boolean },
    selected: { type: String },
    adding: { state: true },
    busy: { state: true },
    problem: { state: true },
    saved: { state: true },
    removing: { state: true },
    removed: { state: true },
    added: { state: true },
  }

  /** The sites this user reads (the rules only on those they administer). */
  declare sites: SiteInfo[]
  /** An admin of every site: may add and remove sites. */
  declare canAdd: boolean
  /** The site whose details, snippet and installation check are shown. */
  declare selected: string
  /** The add form is open. */
  declare adding: boolean
  /** A request is under way: 'add', 'edit' or 'remove'. */
  declare busy: '' | 'add' | 'edit' | 'remove'
  /** What the last request of a form said: keyed by the form. */
  declare problem: { form: 'add' | 'edit' | 'remove'; problem: Problem } | undefined
  /** The site whose changes were just saved. */
  declare saved: string
  /** The site the removal dialog is about. */
  declare removing: string
  /** The last removal: the site and whether its data was erased. */
  declare removed: { site: string; erased: boolean } | undefined
  /** The site just added (its snippet is what to do next). */
  declare added: string

  /** The details' heading takes the focus when they are next drawn (after a site is added). */
  private focusDetail = false

  private readonly status = new Task(this, {
    args: () => [this.selected] as const,
    task: async ([site]) => (site ? api<Status>(`${sitePath(site)}/status`) : initialState),
  })

  constructor() {
    super()
    this.sites = []
    this.canAdd = false
    this.selected = ''
    this.adding = false
    this.busy = ''
    this.saved = ''
    this.removing = ''
    this.added = ''
  }

  override updated(): void {
    const heading = this.renderRoot.querySelector<HTMLElement>('#detail-heading')
    if (this.focusDetail && heading) {
      this.focusDetail = false
      heading.focus()
    }
  }

  private get administered(): SiteInfo[] {
    return this.sites.filter((s) => s.admin)
  }

  private problemOf(form: 'add' | 'edit' | 'remove'): Problem | undefined {
    return this.problem?.form === form ? this.problem.problem : undefined
  }

  override render() {
    const sites = this.administered
    const current = sites.find((s) => s.site === this.selected)
    return html`
      <header>
        <h2 tabindex="-1">${t('ui.settings.tab.sites')}</h2>
        ${this.canAdd && !this.adding ? html`<button type="button" class="primary" @click=${this._openAdd}>${t('ui.settings.sites.add')}</button>` : nothing}
      </header>
      <div role="status">${this.removed ? html`<p class="ok">${t('ui.settings.sites.removed', { site: this.removed.site, erased: this.removed.erased })}</p>` : nothing}</div>
      ${this.adding ? this._addForm() : nothing}
      ${sites.length === 0
        ? html`<p class="muted none">${t('ui.settings.sites.none')}</p>`
        : html`<div class="scroll" tabindex="0" role="region" aria-labelledby="sites-caption">
            <table>
              <caption id="sites-caption">${t('ui.settings.sites.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('ui.settings.sites.domain')}</th>
                  <th scope="col">${t('ui.settings.sites.timezone')}</th>
                  <th scope="col">${t('ui.settings.sites.domains')}</th>
                  <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                ${sites.map(
                  (s) => html`<tr>
                    <td class="site">${shown(s.site)}</td>
                    <td class="nowrap">${shown(s.timezone)}</td>
                    <td class="list">${s.domains?.length ? shown(s.domains.join(', ')) : t('ui.settings.none')}</td>
                    <td>
                      <div class="row-actions">
                        <button type="button" aria-pressed=${s.site === this.selected ? 'true' : 'false'} aria-label=${t('ui.settings.sites.manageSite', { site: s.site })} @click=${() => this._select(s.site)}>
                          ${t('ui.settings.sites.manage')}
                        </button>
                        ${this.canAdd
                          ? html`<button type="button" class="danger" data-remove=${s.site} aria-label=${t('ui.settings.sites.removeSite', { site: s.site })} @click=${() => this._openRemove(s.site)}>
                              ${t('ui.settings.remove')}
                            </button>`
                          : nothing}
                      </div>
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
      ${current ? this._detail(current) : nothing}
      <datalist id="zones">${zones().map((z) => html`<option value=${z}></option>`)}</datalist>
      ${this._removeDialog()}
    `
  }

  private _addForm() {
    const problem = this.problemOf('add')
    const zone = fieldState(problem, 'add-timezone', 'timezone', true)
    return html`<form class="add" @submit=${this._add} novalidate aria-labelledby="add-heading">
      <h3 id="add-heading" tabindex="-1">${t('ui.settings.sites.addHeading')}</h3>
      ${textField({ id: 'add-site', name: 'site', label: t('ui.settings.sites.domain'), problem, required: true, autocomplete: 'off', hint: t('ui.settings.sites.domainHint') })}
      <label for="add-timezone">${t('ui.settings.sites.timezone')}</label>
      <input id="add-timezone" name="timezone" list="zones" required autocomplete="off" .value=${Intl.DateTimeFormat().resolvedOptions().timeZone} aria-invalid=${zone.invalid} aria-describedby=${ifDefined(zone.describedby)} />
      <p class="hint" id="add-timezone-hint">${t('ui.settings.sites.timezoneHint')}</p>
      ${fieldError(problem, 'add-timezone', 'timezone')} ${this._rules('add', problem, undefined)} ${formProblem(problem)}
      <div class="actions">
        <button type="submit" class="primary" ?disabled=${this.busy === 'add'}>${this.busy === 'add' ? t('ui.settings.working') : t('ui.settings.sites.addSubmit')}</button>
        <button type="button" @click=${() => ((this.adding = false), (this.problem = undefined))}>${t('ui.settings.cancel')}</button>
      </div>
    </form>`
  }

  /** The extra domains and exclusion rules, one per line. */
  private _rules(form: 'add' | 'edit', problem: Problem | undefined, site: SiteInfo | undefined) {
    return (['domains', 'exclude_paths', 'exclude_ranges'] as const).map((name) => {
      const id = `${form}-${name}`
      const state = fieldState(problem, id, name, true)
      return html`<label for=${id}>${t(`ui.settings.sites.${name}`)}</label>
        <textarea id=${id} name=${name} rows="2" .value=${(site?.[name] ?? []).join('\n')} aria-invalid=${state.invalid} aria-describedby=${ifDefined(state.describedby)}></textarea>
        <p class="hint" id="${id}-hint">${t(`ui.settings.sites.${name}Hint`)}</p>
        ${fieldError(problem, id, name)}`
    })
  }

  private _detail(site: SiteInfo) {
    const problem = this.problemOf('edit')
    const zone = fieldState(problem, 'edit-timezone', 'timezone')
    return html`<section class="detail" aria-labelledby="detail-heading">
      <h3 id="detail-heading" tabindex="-1">${shown(site.site)}</h3>
      ${this.added === site.site ? html`<p class="ok" role="status">${t('ui.settings.sites.added', { site: site.site })}</p>` : nothing}
      <h3>${t('ui.settings.sites.installation')}</h3>
      <div class="check" aria-live="polite">
        ${this.status.render({
          pending: () => html`<p class="muted loading">${t('ui.settings.sites.checking')}</p>`,
          error: (error) => html`<p class="error" role="alert">${t('ui.settings.sites.checkFailed', { error: (error as Error).message })}</p>`,
          complete: (status) =>
            status.last_event_at === null
              ? html`<p class="installation" data-state="none">${t('ui.settings.sites.noEvent')}</p>`
              : html`<p class="installation" data-state="received">
                  ${tt('ui.settings.sites.lastEvent', { ago: html`<time datetime=${instant(status.last_event_at).toISOString()}>${ago(instant(status.last_event_at))}</time>` })}
                  ${tt('ui.settings.sites.events24h', { count: status.events_24h, n: number(status.events_24h, formatCount(status.events_24h)) })}
                </p>`,
        })}
        <button type="button" @click=${() => this.status.run()}>${t('ui.settings.sites.checkAgain')}</button>
      </div>
      <label for="snippet">${t('ui.settings.sites.snippet')}</label>
      <div class="secret">
        <textarea id="snippet" class="snippet" readonly rows="2" .value=${snippet(site.site)} @focus=${(e: Event) => (e.target as HTMLTextAreaElement).select()}></textarea>
        <cairn-copy .text=${snippet(site.site)} .label=${t('ui.settings.sites.copySnippet')}></cairn-copy>
      </div>
      <p class="hint">${t('ui.settings.sites.snippetHint')}</p>

      <form class="edit" @submit=${(e: SubmitEvent) => this._edit(e, site.site)} novalidate aria-labelledby="edit-heading">
        <h3 id="edit-heading">${t('ui.settings.sites.editHeading')}</h3>
        <label for="edit-timezone">${t('ui.settings.sites.timezone')}</label>
        <input id="edit-timezone" name="timezone" list="zones" required autocomplete="off" .value=${site.timezone} aria-invalid=${zone.invalid} aria-describedby=${ifDefined(zone.describedby)} />
        ${fieldError(problem, 'edit-timezone', 'timezone')} ${this._rules('edit', problem, site)} ${formProblem(problem)}
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.busy === 'edit'}>${this.busy === 'edit' ? t('ui.settings.working') : t('ui.settings.save')}</button>
          <span role="status" class="status ok">${this.saved === site.site ? t('ui.settings.saved') : nothing}</span>
        </div>
      </form>

      <h3 id="export-heading">${t('ui.settings.sites.exportHeading')}</h3>
      <p class="hint" id="export-hint">${t('ui.settings.sites.exportHint')}</p>
      <!-- A link, not a fetch: the browser saves the zip as it streams, whatever its size. -->
      <p><a class="export" href=${`/api/sites/${encodeURIComponent(site.site)}/export`} download aria-describedby="export-hint">${t('ui.settings.sites.export', { site: site.site })}</a></p>
    </section>`
  }

  private _removeDialog() {
    const problem = this.problemOf('remove')
    const site = this.removing
    const state = fieldState(problem, 'remove-confirm', 'confirm', true)
    return confirmDialog({
      id: 'remove-site',
      heading: t('ui.settings.sites.removeHeading', { site }),
      body: html`<p>${t('ui.settings.sites.removeBody')}</p>
        <label for="remove-confirm">${t('ui.settings.sites.removeConfirm', { site })}</label>
        <input id="remove-confirm" name="confirm" autocomplete="off" autocapitalize="off" spellcheck="false" aria-invalid=${state.invalid} aria-describedby=${ifDefined(state.describedby)} />
        <p class="hint" id="remove-confirm-hint">${t('ui.settings.sites.removeConfirmHint')}</p>
        ${fieldError(problem, 'remove-confirm', 'confirm')}
        <label class="inline"><input type="checkbox" name="erase" /> ${t('ui.settings.sites.erase')}</label>`,
      confirm: t('ui.settings.sites.removeSubmit'),
      busy: this.busy === 'remove',
      problem,
      onSubmit: (e) => this._remove(e, site),
      onClose: () => {
        if (this.problem?.form === 'remove') this.problem = undefined
        ;(this.renderRoot.querySelector('#remove-site form') as HTMLFormElement | null)?.reset()
      },
    })
  }

  private async _openAdd(): Promise<void> {
    this.adding = true
    this.problem = undefined
    await this.updateComplete
    ;(this.renderRoot.querySelector('#add-site') as HTMLElement | null)?.focus()
  }

  private _select(site: string): void {
    this.saved = ''
    this.added = ''
    this.problem = undefined
    chooseSite(this, site)
  }

  private async _add(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const site = field(form, 'site')
    this.busy = 'add'
    try {
      await send('POST', '/api/sites', { site, timezone: field(form, 'timezone'), domains: lines(form.get('domains')), exclude_paths: lines(form.get('exclude_paths')), exclude_ranges: lines(form.get('exclude_ranges')) })
      this.problem = undefined
      this.adding = false
      this.removed = undefined
      await sitesChanged(this)
      // Its details come next: the heading takes the focus once they are drawn (see updated()).
      this.focusDetail = true
      this.added = site
      chooseSite(this, site)
    } catch (error) {
      this.problem = { form: 'add', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _edit(event: SubmitEvent, site: string): Promise<void> {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    this.busy = 'edit'
    this.saved = ''
    try {
      await send('PATCH', sitePath(site), { timezone: field(form, 'timezone'), domains: lines(form.get('domains')), exclude_paths: lines(form.get('exclude_paths')), exclude_ranges: lines(form.get('exclude_ranges')) })
      this.problem = undefined
      this.saved = site
      await sitesChanged(this)
    } catch (error) {
      this.problem = { form: 'edit', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _openRemove(site: string): Promise<void> {
    this.removing = site
    this.problem = undefined
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#remove-site'), () => this.renderRoot.querySelector<HTMLElement>('h2'))
  }

  private async _remove(event: SubmitEvent, site: string): Promise<void> {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const typed = field(form, 'confirm')
    if (typed !== site) {
      this.problem = { form: 'remove', problem: { message: t('ui.settings.sites.removeMismatch', { site }), fields: { confirm: t('ui.settings.sites.removeMismatchField', { site }) } } }
      ;(this.renderRoot.querySelector('#remove-confirm') as HTMLElement | null)?.focus()
      return
    }
    this.busy = 'remove'
    try {
      const answer = await send<{ removed: string; erased: boolean }>('DELETE', sitePath(site), { confirm: typed, erase: form.get('erase') === 'on' })
      this.problem = undefined
      if (this.selected === site) chooseSite(this, '')
      await sitesChanged(this)
      // Said once the list no longer shows it.
      this.removed = { site: answer?.removed ?? site, erased: Boolean(answer?.erased) }
      // Closed once the list is drawn again, so that the focus goes where it can (its row is gone).
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#remove-site')?.close()
    } catch (error) {
      this.problem = { form: 'remove', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-sites', CairnSettingsSites)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-sites': CairnSettingsSites
  }
}
