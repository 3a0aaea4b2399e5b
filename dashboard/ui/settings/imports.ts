/**
 * Imports: a site's history brought from another tool (GA4, Plausible, Umami, another Cairn). The form
 * starts one (what it is, its files); the files are sent one after another into the same import, each with
 * its progress, then read by the server; then the import's rows are added to the site's. The list shows the
 * site's imports (their days, rows added and left out, state, who and when), each deletable as a whole.
 *
 * Every failure is a state the screen draws, in the server's words (already in the reader's language): a
 * file refused (named, and the import rolled back), days that already hold the site's data (then only the
 * days before them, or delete), an import with nothing to add, the connection lost.
 *
 * An import being sent belongs to the page, not to the screen: opening another settings screen meanwhile
 * goes on sending, and this screen, opened again, shows it where it is (`sending`, below).
 */
import { css, html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { repeat } from 'lit/directives/repeat.js'
import { ApiError, api, send, sitePath } from '../api.ts'
import { Localized, currentLanguage, formatDate, formatDecimal, formatPercent, number, t, tt } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, fieldError, fieldState, formProblem, instant, openDialog, problemOf, when, type Problem } from './common.ts'

/** What an import reads; `ui.settings.imports.kindName` names each and `kindHint` says its files. */
const KINDS = ['ga4', 'plausible', 'umami', 'cairn'] as const
type Kind = (typeof KINDS)[number]

/** An import as the API shows it (docs/admin-api.md, "Imports"). */
export interface Job {
  site: string
  id: number
  kind: Kind
  state: 'staging' | 'publishing' | 'done' | 'failed' | 'deleted'
  files: string[]
  records: number
  written: number
  skipped: number
  first_day: string | null
  last_day: string | null
  /** Why it failed, in the request's language; '' if it did not. */
  error: string
  created_by: string
  created_at: string
  /** Staging, and this server can still take its files (and add them). */
  resumable: boolean
}

/** The days of an import that already hold the site's data (409 on publishing). */
interface Overlap {
  first: string
  last: string
  own_data_since?: string
}

/** Where the import being sent is. */
interface Run {
  site: string
  files: File[]
  job: Job | undefined
  /** The file being sent, from 0. */
  index: number
  phase: 'starting' | 'sending' | 'reading' | 'waiting' | 'publishing'
  /** Bytes of the file sent, of its total. */
  loaded: number
  total: number
  /** While another file is read (429): seconds before it is sent again. */
  retryIn: number
}

/** How the last import sent (or added, from the list) ended. */
type Outcome =
  | { site: string; state: 'done'; job: Job }
  /** `job`: still there to be deleted. */
  | { site: string; state: 'refused'; problem: Problem; job?: Job | undefined }
  | { site: string; state: 'overlap'; problem: Problem; job: Job; overlap: Overlap }
  | { site: string; state: 'stopped' }

/** An upload refused, with the seconds to wait when another file is being read (429's Retry-After). */
class UploadRefused extends ApiError {
  constructor(
    status: number,
    message: string,
    errors: Record<string, string>,
    body: Record<string, unknown>,
    readonly retryAfter: number,
  ) {
    super(status, message, errors, body)
  }
}

/** The upload was stopped by the reader. */
class Stopped extends Error {}

/**
 * A file as the body of PUT …/files, by XMLHttpRequest: fetch cannot tell how much of a body is sent.
 * `onSent` once every byte is sent: the server then reads the file, which can take a minute.
 */
function upload(path: string, file: File, signal: AbortSignal, onProgress: (loaded: number, total: number) => void, onSent: () => void, part?: { start: number; end: number }): Promise<Job> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Stopped())
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', path)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    if (part) xhr.setRequestHeader('content-range', `bytes ${part.start}-${part.end}/${file.size}`)
    xhr.setRequestHeader('accept-language', currentLanguage())
    xhr.upload.onprogress = (e) => onProgress((part?.start ?? 0) + e.loaded, file.size)
    xhr.upload.onload = () => {
      if (!part || part.end + 1 === file.size) onSent()
    }
    xhr.onload = () => {
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>
      } catch {
        // Not JSON (a proxy's page): said by its status.
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as unknown as Job)
      const errors = (body.errors && typeof body.errors === 'object' ? body.errors : {}) as Record<string, string>
      const said = typeof body.error === 'string' && body.error ? body.error : t('ui.serverAnswered', { status: xhr.status })
      const message = Object.keys(errors).length ? Object.entries(errors).map(([field, problem]) => t('ui.fieldError', { field, problem })).join('; ') : said
      reject(new UploadRefused(xhr.status, message, errors, body, Math.min(Math.max(Number(xhr.getResponseHeader('retry-after')) || 5, 1), 120)))
    }
    xhr.onerror = () => reject(new Error(t('ui.settings.imports.lost', { file: file.name })))
    xhr.onabort = () => reject(new Stopped())
    signal.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(part ? file.slice(part.start, part.end + 1) : file)
  })
}

/**
 * Bytes a part of a file: the server gives a request 15 s to arrive whole, so a large file goes in parts
 * (8 MiB: 15 s at 4.5 Mbit/s), each added to the last.
 */
const PART_BYTES = 8 << 20

/** Deletes a job, asking again while the server is still busy with it (429), for up to ten seconds. */
async function deleteWhenFree(site: string, id: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send('DELETE', `${sitePath(site)}/imports/${id}`)
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 429) || attempt >= 20) throw error
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

/** Waits `seconds`, or less when stopped. */
const pause = (seconds: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000)
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Stopped())), { once: true })
  })

const isOverlap = (value: unknown): value is Overlap => typeof value === 'object' && value !== null && typeof (value as Overlap).first === 'string' && typeof (value as Overlap).last === 'string'

/** Leaving the page would cut the upload short: the browser asks first. */
const holdPage = (event: BeforeUnloadEvent) => {
  event.preventDefault()
  event.returnValue = ''
}

/**
 * The page's import being sent and how the last one ended: one at a time (the server reads one file at a
 * time anyway), kept while the screen is closed. The screens that show it are drawn again on each change.
 */
class Sending {
  run: Run | undefined
  outcome: Outcome | undefined
  /** Counts the changes to a site's imports: the screens' lists are read again when it moves. */
  version = 0
  private stopper: AbortController | undefined
  private readonly hosts = new Set<ReactiveControllerHost>()

  attach(host: ReactiveControllerHost): void {
    this.hosts.add(host)
  }

  detach(host: ReactiveControllerHost): void {
    this.hosts.delete(host)
  }

  private set(change: { run?: Run | undefined; outcome?: Outcome | undefined }, jobsChanged = false): void {
    Object.assign(this, change)
    if (jobsChanged) this.version++
    for (const host of this.hosts) host.requestUpdate()
  }

  private step(change: Partial<Run>, jobsChanged = false): void {
    if (this.run) this.set({ run: { ...this.run, ...change } }, jobsChanged)
  }

  /** Whether the reader can stop it now: before the server reads a file (stopping then would race its reading). */
  get stoppable(): boolean {
    return this.run?.phase === 'sending' || this.run?.phase === 'waiting'
  }

  stop(): void {
    if (this.stoppable) this.stopper?.abort()
  }

  /** The outcome said for `site` is read: forgotten. */
  forget(site: string): void {
    if (this.outcome?.site === site) this.set({ outcome: undefined })
  }

  /** A new import of `kind` into `site`, its files sent one after another, then its rows added. */
  async start(site: string, kind: Kind, files: File[]): Promise<void> {
    if (this.run) return
    const stopper = (this.stopper = new AbortController())
    this.set({ run: { site, files, job: undefined, index: 0, phase: 'starting', loaded: 0, total: 0, retryIn: 0 }, outcome: undefined })
    addEventListener('beforeunload', holdPage)
    let job: Job | undefined
    try {
      job = await send<Job>('POST', `${sitePath(site)}/imports`, { kind })
      this.step({ job }, true)
      for (const [index, file] of files.entries()) job = await this.sendFile(site, job, file, index, stopper.signal)
      await this.publish(site, job)
    } catch (error) {
      if (error instanceof Stopped) {
        // What was read of it goes: an import is there whole or not at all. The server may not have seen the
        // upload end yet, and does one thing at a time to a job (429): asked again until it has.
        if (job) await deleteWhenFree(site, job.id).catch(() => {})
        this.set({ outcome: { site, state: 'stopped' } }, true)
      } else {
        // A file refused rolls the import back (422, 413): nothing is left to delete. Otherwise (the
        // connection lost, the server restarted) it may still be there.
        const rolledBack = error instanceof ApiError && (error.status === 422 || error.status === 413)
        this.set({ outcome: { site, state: 'refused', problem: problemOf(error), job: rolledBack ? undefined : job } }, true)
      }
    } finally {
      removeEventListener('beforeunload', holdPage)
      this.stopper = undefined
      this.set({ run: undefined }, true)
    }
  }

  /** One file into the import; while another is being read on the server, again after the time it says. */
  private async sendFile(site: string, job: Job, file: File, index: number, signal: AbortSignal): Promise<Job> {
    const path = `${sitePath(site)}/imports/${job.id}/files?name=${encodeURIComponent(file.name)}`
    // A small file in one request; a large one in parts, from where the server stands after a refusal.
    let start = 0
    for (;;) {
      this.step({ index, phase: 'sending', loaded: start, total: file.size, retryIn: 0 })
      const part = file.size > PART_BYTES ? { start, end: Math.min(start + PART_BYTES, file.size) - 1 } : undefined
      try {
        const read = await upload(path, file, signal, (loaded, total) => this.step({ loaded, total }), () => this.step({ phase: 'reading', loaded: file.size }), part)
        if (part && part.end + 1 < file.size) {
          start = part.end + 1
          continue
        }
        this.step({ job: read }, true)
        return read
      } catch (error) {
        if (error instanceof UploadRefused && error.status === 409 && typeof error.body.received === 'number') {
          start = error.body.received
          continue
        }
        if (!(error instanceof UploadRefused && error.status === 429)) throw error
        this.step({ phase: 'waiting', retryIn: error.retryAfter })
        await pause(error.retryAfter, signal)
      }
    }
  }

  /**
   * The import's rows added to the site's (only the days before `before`, when given). Days that already
   * hold the site's data, or nothing to add, leave it as it is: the outcome offers what can be done next.
   */
  async publish(site: string, job: Job, before?: string): Promise<void> {
    const alone = !this.run
    if (alone) this.set({ run: { site, files: [], job, index: 0, phase: 'publishing', loaded: 0, total: 0, retryIn: 0 }, outcome: undefined })
    else this.step({ phase: 'publishing' })
    try {
      const done = await send<Job>('POST', `${sitePath(site)}/imports/${job.id}/publish`, before ? { before } : {})
      this.set({ outcome: { site, state: 'done', job: done } }, true)
    } catch (error) {
      this.refusedPublishing(site, job, error)
    } finally {
      if (alone) this.set({ run: undefined }, true)
    }
  }

  private refusedPublishing(site: string, job: Job, error: unknown): void {
    const problem = problemOf(error)
    const overlap = error instanceof ApiError && error.status === 409 ? error.body.overlap : undefined
    this.set({ outcome: isOverlap(overlap) ? { site, state: 'overlap', problem, job, overlap } : { site, state: 'refused', problem, job } }, true)
  }
}

/** The page's one import being sent. */
const sending = new Sending()

/** Draws its element again whenever the import being sent moves on. */
class SendingController implements ReactiveController {
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this)
  }

  hostConnected(): void {
    sending.attach(this.host)
  }

  hostDisconnected(): void {
    sending.detach(this.host)
  }
}

/** A site-local day of the API (YYYY-MM-DD), machine-readable in <time>. */
const day = (value: string) => html`<time datetime=${value}>${formatDate(value)}</time>`

/** A count written out in full (an admin's list, not a card). */
const count = (n: number) => number(n, formatDecimal(n, 0))

/** What an import's state badge says: its state, or that it is being sent from this page, or left unfinished. */
const stateOf = (job: Job, running: boolean): string => (running ? 'running' : job.state === 'staging' && !job.resumable ? 'stale' : job.state)

export class CairnSettingsImports extends Localized {
  static override styles = [
    panel,
    forms,
    css`
      h2:focus { outline: none; }
      form.start { border: 1px solid var(--border); border-radius: 10px; padding: 4px 14px 14px; margin: 12px 0 16px; background: var(--bg); }
      form.start input:not([type='checkbox'], [type='radio']) { background: var(--panel); }
      fieldset.kinds { max-width: 560px; }
      .kind { margin: 6px 0 10px; }
      .kind label { display: flex; gap: 8px; align-items: center; color: var(--text); font-size: 14px; margin: 0; min-height: 24px; }
      .kind input { width: auto; margin: 0; }
      .kind .hint { margin: 2px 0 0 24px; }
      .choose { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; max-width: 560px; }
      .chooser { position: relative; display: inline-flex; }
      .chooser input { position: absolute; inset: 0; width: 100%; height: 100%; margin: 0; padding: 0; opacity: 0; cursor: pointer; }
      .chooser .button { display: inline-flex; align-items: center; min-height: 32px; box-sizing: border-box; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--border); background: var(--panel); color: var(--text); }
      .chooser input:hover + .button { border-color: var(--accent); }
      .chooser input:focus-visible + .button { outline: 2px solid var(--accent); outline-offset: 2px; }
      .chooser input[aria-invalid='true'] + .button { border-color: var(--bad); border-width: 2px; }
      .chosen { font-size: 14px; overflow-wrap: anywhere; min-width: 0; }
      .meter { display: flex; align-items: center; gap: 10px; max-width: 560px; }
      progress { flex: 1 1 auto; min-width: 0; height: 12px; accent-color: var(--accent); }
      .meter .percent { font-size: 13px; font-variant-numeric: tabular-nums; min-width: 3.5em; text-align: right; }
      p.phase { font-size: 14px; margin: 12px 0 6px; }
      p.phase:empty { margin: 0; }
      ul.imports { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
      li.import { border: 1px solid var(--border); border-radius: 10px; padding: 10px 14px; min-width: 0; }
      .top { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; }
      .top h4 { font-size: 15px; margin: 0; font-weight: 600; }
      .top .row-actions { margin-left: auto; }
      .state { font-size: 12px; border-radius: 999px; padding: 2px 9px; border: 1px solid currentColor; color: var(--muted); }
      .state.done { color: var(--good); }
      .state.failed, .state.stale { color: var(--bad); }
      .state.running, .state.publishing, .state.staging { color: var(--accent); }
      p.failed { font-size: 13px; margin: 8px 0 0; color: var(--bad); overflow-wrap: anywhere; }
      dl { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 10px 0 0; }
      dl > div { min-width: 0; max-width: 100%; }
      dl .wide { flex-basis: 100%; }
      dt { font-size: 12px; color: var(--muted); }
      dd { margin: 2px 0 0; font-size: 14px; min-width: 0; }
      dd.written, dd.skipped { font-variant-numeric: tabular-nums; }
      dd.files ul { list-style: none; margin: 0; padding: 0; }
      dd.files details ul { margin-top: 4px; }
      dd.files summary { cursor: pointer; min-height: 24px; }
      dd.files code { font-size: 12px; overflow-wrap: anywhere; }
    `,
  ]

  static override properties = {
    site: { type: String },
    kind: { state: true },
    chosen: { state: true },
    missing: { state: true },
    deleting: { state: true },
    busy: { state: true },
    problem: { state: true },
    done: { state: true },
  }

  /** The site whose imports are shown. */
  declare site: string
  /** The kind of import the form starts. */
  declare kind: Kind
  /** The files chosen. */
  declare chosen: File[]
  /** Start was pressed without a file chosen. */
  declare missing: boolean
  /** The import the delete dialog asks about. */
  declare deleting: Job | undefined
  /** A deletion is under way. */
  declare busy: boolean
  /** What the deletion's request said. */
  declare problem: Problem | undefined
  /** What was just done here (an import deleted), for the status line. */
  declare done: string

  private readonly imports = new Task(this, {
    args: () => [this.site, sending.version] as const,
    task: async ([site]) => (site ? { site, imports: (await api<{ imports: Job[] }>(`${sitePath(site)}/imports`)).imports } : initialState),
  })

  constructor() {
    super()
    // Drawn again as the page's import moves on.
    new SendingController(this)
    this.site = ''
    this.kind = 'ga4'
    this.chosen = []
    this.missing = false
    this.busy = false
    this.done = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('site') && changed.get('site') !== undefined) {
      this.done = ''
      this.missing = false
      this.problem = undefined
    }
  }

  /** The import being sent into this site, if it is. */
  private get run(): Run | undefined {
    return sending.run?.site === this.site ? sending.run : undefined
  }

  private get outcome(): Outcome | undefined {
    return sending.outcome?.site === this.site ? sending.outcome : undefined
  }

  override render() {
    return html`
      <header><h2 tabindex="-1">${t('ui.settings.imports.heading', { site: this.site })}</h2></header>
      <p>${t('ui.settings.imports.intro')}</p>
      ${this._form()}
      <h3 id="imports-heading">${t('ui.settings.imports.list')}</h3>
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this._list()}
      ${confirmDialog({
        id: 'delete-import',
        heading: t('ui.settings.imports.deleteHeading'),
        body: this.deleting
          ? html`<p>${t('ui.settings.imports.deleteBody', { state: this.deleting.state, rows: this.deleting.written })}</p>`
          : nothing,
        confirm: t('ui.settings.imports.deleteSubmit'),
        busy: this.busy,
        problem: this.problem,
        onSubmit: this._delete,
        onClose: () => {
          this.problem = undefined
        },
      })}
    `
  }

  private _form() {
    const run = this.run
    const outcome = this.outcome
    const problem: Problem | undefined = this.missing
      ? { message: t('ui.settings.imports.noFiles'), fields: { file: t('ui.settings.imports.noFilesField') } }
      : outcome && outcome.state !== 'done' && outcome.state !== 'stopped'
        ? outcome.problem
        : undefined
    const files = fieldState(problem, 'import-files', 'file', true)
    // Another site's import is being sent: this one waits (one at a time in a page).
    const elsewhere = sending.run !== undefined && !run
    return html`<form class="start" @submit=${this._start} novalidate aria-labelledby="start-heading">
      <h3 id="start-heading">${t('ui.settings.imports.start')}</h3>
      <fieldset class="kinds">
        <legend>${t('ui.settings.imports.kind')}</legend>
        ${KINDS.map(
          (kind) => html`<div class="kind">
            <label><input type="radio" name="kind" value=${kind} .checked=${this.kind === kind} aria-describedby="kind-${kind}-hint" @change=${() => (this.kind = kind)} /> ${t('ui.settings.imports.kindName', { kind })}</label>
            <p class="hint" id="kind-${kind}-hint">${t('ui.settings.imports.kindHint', { kind })}</p>
          </div>`,
        )}
      </fieldset>
      <label for="import-files">${t('ui.settings.imports.files')}</label>
      <!-- The browser's own file button speaks the browser's language: this one, drawn under the (transparent) input, speaks the page's. -->
      <div class="choose">
        <span class="chooser">
          <input type="file" id="import-files" name="file" multiple aria-invalid=${files.invalid} aria-describedby=${['import-files-chosen', files.describedby].filter(Boolean).join(' ')} @change=${this._chose} />
          <span class="button" aria-hidden="true">${t('ui.settings.imports.choose')}</span>
        </span>
        <span class="chosen" id="import-files-chosen">${this._chosen()}</span>
      </div>
      <p class="hint" id="import-files-hint">${t('ui.settings.imports.filesHint')}</p>
      ${fieldError(problem, 'import-files', 'file')}
      <div class="actions">
        <!-- aria-disabled, not disabled: the button keeps the focus while the import runs. -->
        <button type="submit" class="primary" aria-disabled=${run || elsewhere ? 'true' : 'false'}>${run ? t('ui.settings.working') : t('ui.settings.imports.startSubmit')}</button>
        ${run && sending.stoppable ? html`<button type="button" class="stop" @click=${() => sending.stop()}>${t('ui.settings.imports.stop')}</button>` : nothing}
      </div>
      ${elsewhere ? html`<p class="hint">${t('ui.settings.imports.elsewhere', { site: sending.run!.site })}</p>` : nothing}
      <p class="phase status ${outcome?.state === 'done' ? 'ok' : ''}" id="import-phase" role="status">${run ? this._phase(run) : outcome ? this._ended(outcome) : nothing}</p>
      ${run ? this._meter(run) : nothing} ${formProblem(problem)} ${outcome ? this._next(outcome) : nothing}
    </form>`
  }

  /** Where the import being sent is, in words (said politely, once a step). */
  private _phase(run: Run) {
    const file = run.files[run.index]?.name ?? ''
    const place = { file, n: run.index + 1, count: run.files.length }
    switch (run.phase) {
      case 'starting':
        return t('ui.settings.imports.starting')
      case 'sending':
        return t('ui.settings.imports.sending', place)
      case 'reading':
        return t('ui.settings.imports.reading', place)
      case 'waiting':
        return t('ui.settings.imports.waiting', { seconds: run.retryIn })
      case 'publishing':
        return t('ui.settings.imports.publishing')
    }
  }

  /** The progress bar, named by the words above it: how much of the file is sent; undetermined while the server works. */
  private _meter(run: Run) {
    const counted = run.phase === 'sending'
    const total = Math.max(run.total, 1)
    return html`<div class="meter">
      <progress aria-labelledby="import-phase" max=${total} value=${ifDefined(counted ? Math.min(run.loaded, total) : undefined)}></progress>
      <span class="percent" aria-hidden="true">${counted ? formatPercent((Math.min(run.loaded, total) / total) * 100) : nothing}</span>
    </div>`
  }

  /** How the last import ended, when it did not fail (a failure is an alert of its own). */
  private _ended(outcome: Outcome) {
    if (outcome.state === 'stopped') return t('ui.settings.imports.stopped')
    if (outcome.state !== 'done') return nothing
    const job = outcome.job
    return job.first_day && job.last_day
      ? tt('ui.settings.imports.done', { rows: job.written, n: count(job.written), first: day(job.first_day), last: day(job.last_day) })
      : tt('ui.settings.imports.doneNoDays', { rows: job.written, n: count(job.written) })
  }

  /** What can be done after a refusal that left the import there: only the days before the site's own, or delete it. */
  private _next(outcome: Outcome) {
    if (outcome.state !== 'overlap' && !(outcome.state === 'refused' && outcome.job)) return nothing
    const job = outcome.job!
    return html`<div class="actions next">
      ${outcome.state === 'overlap'
        ? html`<button type="button" class="primary before" ?disabled=${this.run !== undefined} @click=${() => sending.publish(this.site, job, outcome.overlap.first)}>
            ${t('ui.settings.imports.before', { first: formatDate(outcome.overlap.first) })}
          </button>`
        : nothing}
      <button type="button" class="danger delete-this" @click=${() => this._ask(job)}>${t('ui.settings.imports.deleteThis')}</button>
    </div>`
  }

  private _list() {
    const answer = this.imports.value
    if (this.imports.error !== undefined && answer === undefined) {
      return html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (this.imports.error as Error).message })}</p>`
    }
    // The previous answer stays while the list is read again, unless it was another site's.
    if (!answer || answer.site !== this.site) return html`<p class="muted loading">${t('ui.loading')}</p>`
    if (answer.imports.length === 0) return html`<p class="muted none">${t('ui.settings.imports.none')}</p>`
    const running = sending.run?.job?.id
    // A card an import rather than a table: eight facts a row do not fit a phone.
    return html`<ul class="imports" aria-labelledby="imports-heading">
      <!-- Keyed: a deleted import's card goes with its buttons (the focus does not land on another's). -->
      ${repeat(answer.imports, (job) => job.id, (job) => this._item(job, job.id === running))}
    </ul>`
  }

  private _item(job: Job, running: boolean) {
    const state = stateOf(job, running)
    const kind = t('ui.settings.imports.kindName', { kind: job.kind })
    const started = formatDate(instant(job.created_at), { dateStyle: 'medium', timeStyle: 'short', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone })
    return html`<li class="import" data-import=${job.id} data-state=${state}>
      <div class="top">
        <h4 class="kind">${kind}</h4>
        <span class="state ${state}">${t('ui.settings.imports.stateName', { state })}</span>
        ${running
          ? nothing
          : html`<div class="row-actions">
              ${state === 'staging'
                ? html`<button type="button" class="publish" ?disabled=${sending.run !== undefined} aria-label=${t('ui.settings.imports.publishOf', { kind, started })} @click=${() => sending.publish(this.site, job)}>
                    ${t('ui.settings.imports.publish')}
                  </button>`
                : nothing}
              ${state === 'publishing'
                ? nothing
                : html`<button type="button" class="danger delete" aria-label=${t('ui.settings.imports.deleteOf', { kind, started })} @click=${() => this._ask(job)}>${t('ui.settings.imports.delete')}</button>`}
            </div>`}
      </div>
      ${job.error ? html`<p class="failed">${job.error}</p>` : nothing}
      <dl>
        <div><dt>${t('ui.settings.imports.days')}</dt><dd class="days">${job.first_day && job.last_day ? tt('ui.settings.imports.dayRange', { first: day(job.first_day), last: day(job.last_day) }) : t('ui.settings.none')}</dd></div>
        <div><dt>${t('ui.settings.imports.written')}</dt><dd class="written">${count(job.written)}</dd></div>
        <div><dt>${t('ui.settings.imports.skipped')}</dt><dd class="skipped">${count(job.skipped)}</dd></div>
        <div><dt>${t('ui.settings.imports.started')}</dt><dd class="started">${when(job.created_at)} · ${job.created_by === 'operator' ? t('ui.settings.imports.byOperator') : shown(job.created_by)}</dd></div>
        <div class="wide"><dt>${t('ui.settings.imports.files')}</dt><dd class="files">${this._files(job.files)}</dd></div>
      </dl>
    </li>`
  }

  /** A few files by name; many (GA4's one a day) counted, their names one click away. */
  private _files(files: string[]) {
    if (files.length === 0) return t('ui.settings.none')
    if (files.length <= 3) return html`<ul>${files.map((f) => html`<li><code>${shown(f)}</code></li>`)}</ul>`
    return html`<details>
      <summary>${t('ui.settings.imports.fileCount', { count: files.length })}</summary>
      <ul>
        ${files.map((f) => html`<li><code>${shown(f)}</code></li>`)}
      </ul>
    </details>`
  }

  /** The files chosen, in words: their names, the first three of many. */
  private _chosen() {
    const names = this.chosen.slice(0, 3).map((f) => f.name).join(', ') + (this.chosen.length > 3 ? ', …' : '')
    return t('ui.settings.imports.chosen', { count: this.chosen.length, names })
  }

  private _chose(event: Event): void {
    this.chosen = [...((event.target as HTMLInputElement).files ?? [])]
    this.missing = false
  }

  private async _start(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    if (sending.run) return
    const input = this.renderRoot.querySelector<HTMLInputElement>('#import-files')!
    const files = [...(input.files ?? [])]
    this.done = ''
    if (files.length === 0) {
      sending.forget(this.site)
      this.missing = true
      input.focus()
      return
    }
    this.missing = false
    const site = this.site
    await sending.start(site, this.kind, files)
    // Sent: the same files are not offered again.
    if (sending.outcome?.site === site && sending.outcome.state === 'done' && input.isConnected) {
      input.value = ''
      this.chosen = []
    }
  }

  private async _ask(job: Job): Promise<void> {
    this.deleting = job
    this.problem = undefined
    this.done = ''
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#delete-import'), () => this.renderRoot.querySelector<HTMLElement>('h2'))
  }

  private readonly _delete = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const job = this.deleting
    if (!job || this.busy) return
    const site = this.site
    this.busy = true
    try {
      await send('DELETE', `${sitePath(site)}/imports/${job.id}`)
      this.problem = undefined
      if (sending.outcome?.site === site && 'job' in sending.outcome && sending.outcome.job?.id === job.id) sending.forget(site)
      this.done = t('ui.settings.imports.deleted', { kind: t('ui.settings.imports.kindName', { kind: job.kind }) })
      await this.imports.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#delete-import')?.close()
    } catch (error) {
      this.problem = problemOf(error)
    } finally {
      this.busy = false
    }
  }
}

customElements.define('cairn-settings-imports', CairnSettingsImports)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-imports': CairnSettingsImports
  }
}
