/** Shared links of a site: read-only links to its dashboard; creating one (its address shown once), revoking one. */
import { html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { api, send, sitePath } from '../api.ts'
import { Localized, t } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, formProblem, openDialog, problemOf, shownOnce, when, type Problem } from './common.ts'

interface Share {
  prefix: string
  created_by: string
  created_at: string
}

export class CairnSettingsLinks extends Localized {
  static override styles = [panel, forms]

  static override properties = {
    site: { type: String },
    busy: { state: true },
    problem: { state: true },
    created: { state: true },
    revoking: { state: true },
    done: { state: true },
  }

  /** The site whose links are shown. */
  declare site: string
  declare busy: '' | 'create' | 'revoke'
  declare problem: { form: 'create' | 'revoke'; problem: Problem } | undefined
  /** The address of the link just created, shown once. */
  declare created: string | undefined
  /** The link the dialog asks about. */
  declare revoking: Share | undefined
  declare done: string

  private readonly shares = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => (site ? (await api<{ shares: Share[] }>(`${sitePath(site)}/shares`)).shares : initialState),
  })

  constructor() {
    super()
    this.site = ''
    this.busy = ''
    this.done = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('site') && changed.get('site') !== undefined) {
      this.created = undefined
      this.done = ''
      this.problem = undefined
    }
  }

  override render() {
    return html`
      <header><h2>${t('ui.settings.links.heading', { site: this.site })}</h2></header>
      <p>${t('ui.settings.links.intro')}</p>
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.created
        ? shownOnce({ id: 'link-once', heading: t('ui.settings.links.created'), label: t('ui.settings.links.address'), value: this.created, copyLabel: t('ui.settings.links.copy'), warning: t('ui.settings.shownOnce') })
        : nothing}
      ${this.shares.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (shares) => this._table(shares),
      })}
      ${formProblem(this.problem?.form === 'create' ? this.problem.problem : undefined)}
      <div class="actions"><button type="button" class="primary" ?disabled=${this.busy === 'create'} @click=${this._create}>${this.busy === 'create' ? t('ui.settings.working') : t('ui.settings.links.create')}</button></div>
      ${confirmDialog({
        id: 'revoke-link',
        heading: t('ui.settings.links.revokeHeading'),
        body: html`<p>${t('ui.settings.links.revokeBody', { prefix: this.revoking?.prefix ?? '' })}</p>`,
        confirm: t('ui.settings.links.revokeSubmit'),
        busy: this.busy === 'revoke',
        problem: this.problem?.form === 'revoke' ? this.problem.problem : undefined,
        onSubmit: this._revoke,
        onClose: () => {
          if (this.problem?.form === 'revoke') this.problem = undefined
        },
      })}
    `
  }

  private _table(shares: Share[]) {
    if (shares.length === 0) return html`<p class="muted none">${t('ui.settings.links.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="links-caption">
      <table>
        <caption id="links-caption">${t('ui.settings.links.caption', { site: this.site })}</caption>
        <thead>
          <tr>
            <th scope="col">${t('ui.settings.links.prefix')}</th>
            <th scope="col">${t('ui.settings.links.by')}</th>
            <th scope="col">${t('ui.settings.created')}</th>
            <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${shares.map(
            (s) => html`<tr data-prefix=${s.prefix}>
              <td class="nowrap"><code>${shown(s.prefix)}</code></td>
              <td>${shown(s.created_by)}</td>
              <td class="nowrap">${when(s.created_at)}</td>
              <td><div class="row-actions"><button type="button" class="danger" aria-label=${t('ui.settings.links.revokeOf', { prefix: s.prefix })} @click=${() => this._ask(s)}>${t('ui.settings.revoke')}</button></div></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  }

  private async _create(): Promise<void> {
    this.busy = 'create'
    try {
      const { path } = await send<{ prefix: string; path: string }>('POST', `${sitePath(this.site)}/shares`, {})
      this.created = new URL(path, location.origin).href
      this.problem = undefined
      this.done = ''
      void this.shares.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#link-once')?.focus()
    } catch (error) {
      this.problem = { form: 'create', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _ask(share: Share): Promise<void> {
    this.revoking = share
    this.problem = undefined
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#revoke-link'), () => this.renderRoot.querySelector<HTMLElement>('.actions button'))
  }

  private readonly _revoke = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const share = this.revoking
    if (!share) return
    this.busy = 'revoke'
    try {
      await send('DELETE', `${sitePath(this.site)}/shares/${encodeURIComponent(share.prefix)}`)
      this.problem = undefined
      this.done = t('ui.settings.links.revoked', { prefix: share.prefix })
      await this.shares.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#revoke-link')?.close()
    } catch (error) {
      this.problem = { form: 'revoke', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-links', CairnSettingsLinks)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-links': CairnSettingsLinks
  }
}
