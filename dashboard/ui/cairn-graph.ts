/**
 * The main graph: one metric over the range, the previous period overlaid (dashed). A thin owner of a uPlot
 * instance. Annotations of the range (docs/admin-api.md) are drawn as vertical lines at their day by a uPlot
 * plugin, and listed below the graph as text; a logged-in reader adds one for a day, and removes those
 * they may change. A line the API estimated has its values marked ≈ in the legend, and a note says so.
 */
import { css, html, nothing, unsafeCSS } from 'lit'
import { Task, initialState } from '@lit/task'
import uPlot from 'uplot'
import uPlotCss from 'uplot/dist/uPlot.min.css'
import type { Interval } from '../server/range.ts'
import { ApiError, api, send, sitePath } from './api.ts'
import { isEstimate, reportEstimates, type MaybeEstimated } from './estimates.ts'
import { Localized, formatCount, formatDate, formatDuration, formatPercent, t } from './i18n.ts'
import { graphMetric, statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown } from './text.ts'

interface Point {
  bucket: string
  [metric: string]: number | string
}

/** GET …/timeseries: the buckets of the range, and of the previous period with compare=previous. */
interface Series extends MaybeEstimated {
  range: { interval: Interval; from: string; to: string }
  points: Point[]
  previous?: { points: Point[] } & MaybeEstimated
}

interface Annotation {
  id: string
  /** The site's local day, YYYY-MM-DD. */
  day: string
  text: string
  editable: boolean
}

/** A local day or bucket ("YYYY-MM-DD[ HH:MM:SS]") as the graph's x: seconds of that wall time read as UTC. */
const seconds = (local: string) => Date.parse(local.replace(' ', 'T') + (local.length > 10 ? 'Z' : 'T00:00:00Z')) / 1000

/** A uPlot plugin drawing a vertical line at each day of `days` (on the plot's own canvas, under the cursor). */
function markers(days: () => string[], color: string, drawn: (count: number) => void): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u
          let count = 0
          ctx.save()
          ctx.strokeStyle = color
          ctx.fillStyle = color
          ctx.lineWidth = 2 * uPlot.pxRatio
          ctx.setLineDash([5 * uPlot.pxRatio, 4 * uPlot.pxRatio])
          for (const day of new Set(days())) {
            const x = Math.round(u.valToPos(seconds(day), 'x', true))
            if (x < bbox.left - 1 || x > bbox.left + bbox.width + 1) continue
            count++
            ctx.beginPath()
            ctx.moveTo(x, bbox.top)
            ctx.lineTo(x, bbox.top + bbox.height)
            ctx.stroke()
            // A flag at its top, so that the line reads as a mark rather than a grid line.
            const size = 5 * uPlot.pxRatio
            ctx.beginPath()
            ctx.moveTo(x - size, bbox.top)
            ctx.lineTo(x + size, bbox.top)
            ctx.lineTo(x, bbox.top + size * 1.6)
            ctx.closePath()
            ctx.fill()
          }
          ctx.restore()
          drawn(count)
        },
      ],
    },
  }
}

/** How a bucket's time is written: on the axis (short) and in the legend (whole). */
const TIME_FORMATS: Record<Interval, { axis: Intl.DateTimeFormatOptions; legend: Intl.DateTimeFormatOptions }> = {
  hour: { axis: { hour: 'numeric' }, legend: { dateStyle: 'medium', timeStyle: 'short' } },
  day: { axis: { day: 'numeric', month: 'short' }, legend: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' } },
  month: { axis: { month: 'short', year: '2-digit' }, legend: { month: 'long', year: 'numeric' } },
}

/**
 * @fires cairn-estimates - {estimated}: whether the series include estimates
 */
export class CairnGraph extends Localized {
  static override styles = [
    panel,
    unsafeCSS(uPlotCss),
    css`
      .plot { min-height: 280px; }
      .u-legend { font-size: 12px; color: var(--muted); }
      .u-axis { color: var(--muted); }
      .estimate-note { margin: 0; font-size: 12px; color: var(--muted); }
      .notes { border-top: 1px solid var(--border); margin-top: 10px; padding-top: 8px; font-size: 13px; }
      .notes h3 { font-size: 13px; font-weight: 600; margin: 0; }
      .notes-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
      .notes ul { list-style: none; margin: 6px 0 0; padding: 0; display: grid; gap: 4px; }
      .notes li { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
      .notes li::before { content: ''; width: 10px; height: 10px; border-radius: 2px; background: var(--bad); flex: none; align-self: center; }
      .notes li time { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
      .notes li .text { flex: 1 1 200px; min-width: 0; overflow-wrap: anywhere; }
      .notes button, .notes input { font: inherit; color: var(--text); }
      .notes button { cursor: pointer; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 2px 10px; min-height: 28px; font-size: 13px; }
      .notes button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); font-weight: 600; }
      .notes button.danger { color: var(--bad); border-color: var(--bad); }
      .notes button[disabled] { opacity: 0.6; cursor: default; }
      .notes form { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin-top: 8px; }
      .notes form .field { display: grid; gap: 3px; }
      .notes form .field.text { flex: 1 1 220px; }
      .notes label { font-size: 12px; color: var(--muted); }
      .notes input { box-sizing: border-box; padding: 5px 8px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); width: 100%; min-height: 32px; }
      .notes [aria-invalid='true'] { border-color: var(--bad); border-width: 2px; }
      .notes .field-error { color: var(--bad); margin: 0; font-size: 12px; }
      .notes .status { margin: 6px 0 0; }
      .notes .status:empty { display: none; }
      .notes .ok { color: var(--good); }
      .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    `,
  ]

  static override properties = { view: { attribute: false }, canWrite: { type: Boolean }, adding: { state: true }, busy: { state: true }, problem: { state: true }, done: { state: true } }

  /** The dashboard's current view (its metric picks the line, its compare flag the overlay). */
  declare view: ViewState
  /** A person is logged in: may add annotations (a shared link's viewer reads them). */
  declare canWrite: boolean
  /** The form to add an annotation is open. */
  declare adding: boolean
  declare busy: boolean
  /** What the server refused: its sentence and the fields it named. */
  declare problem: { message: string; fields: Record<string, string> } | undefined
  /** What was just done, said in the status line. */
  declare done: string
  private plot: uPlot | undefined
  /** What the plot shows now, so it is redrawn only when that changes. */
  private drawn: unknown[] = []
  /** The annotations the plot's markers show. */
  private drawnNotes: unknown
  private readonly resize = new ResizeObserver(() => this.plot?.setSize(this.size()))

  private readonly series = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams(this.view)] as const,
    task: async ([site, params]) => (site ? api<Series>(`/api/stats/${encodeURIComponent(site)}/timeseries?${params}`) : initialState),
    onComplete: (series) => reportEstimates(this, series, series.previous),
    onError: () => reportEstimates(this),
  })

  /** The annotations of the range the graph shows (known once the series is). */
  private readonly notes = new Task(this, {
    args: () => [this.view?.site, this.series.value?.range.from, this.series.value?.range.to] as const,
    task: async ([site, from, to]) =>
      site && from && to ? (await api<{ annotations: Annotation[] }>(`${sitePath(site)}/annotations?${new URLSearchParams({ from, to })}`)).annotations : initialState,
  })

  constructor() {
    super()
    this.canWrite = false
    this.adding = false
    this.busy = false
    this.done = ''
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.resize.disconnect()
    this.plot?.destroy()
    this.plot = undefined
  }

  protected override updated(): void {
    const data = this.series.value
    const drawn = [data, this.view && graphMetric(this.view), this.view?.compare, document.documentElement.lang]
    if (data && drawn.some((v, i) => v !== this.drawn[i])) {
      this.drawn = drawn
      this.draw(data)
    } else if (this.notes.value !== this.drawnNotes) this.plot?.redraw(false)
    this.drawnNotes = this.notes.value
  }

  private size() {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    return { width: Math.max(200, box?.clientWidth ?? 600), height: 280 }
  }

  /** Whether the line drawn (`current`) or the previous period's has estimated values. */
  private estimates(data: Series | undefined): { current: boolean; previous: boolean } {
    const metric = this.view ? graphMetric(this.view) : 'visitors'
    return { current: isEstimate(data, metric), previous: Boolean(this.view?.compare) && isEstimate(data?.previous, metric) }
  }

  private draw(data: Series): void {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    if (!box) return
    const { points, range: { interval } } = data
    const previous = data.previous?.points
    const estimates = this.estimates(data)
    const metric = graphMetric(this.view)
    const xs = points.map((p) => seconds(p.bucket))
    const current = points.map((p) => Number(p[metric]))
    const before = points.map((_, i) => (this.view.compare && previous?.[i] ? Number(previous[i]![metric]) : null))
    const style = getComputedStyle(this)
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888'
    const format = (v: number | null) =>
      v === null ? '–' : metric === 'visit_duration' ? formatDuration(v) : metric === 'bounce_rate' ? formatPercent(v) : metric === 'conversion_rate' ? formatPercent(v, 1) : formatCount(v)
    // An estimated value is written after ≈ in the legend, whose row says what that means when hovered
    // (not a 0: a sketch of nobody counts nobody).
    const legend = (estimate: boolean, v: number | null) => (estimate && v ? `≈\u2009${format(v)}` : format(v))
    // uPlot's own date formats are English; the axis and legend are written by Intl instead.
    const time = (seconds: number, options: Intl.DateTimeFormatOptions) => formatDate(new Date(seconds * 1000), options)
    this.plot?.destroy()
    this.plot = new uPlot(
      {
        ...this.size(),
        plugins: [
          markers(
            () => (this.notes.value ?? []).map((a) => a.day),
            color('--bad'),
            // How many markers are drawn, for tests and for the curious (the list below says what they are).
            (count) => box.setAttribute('data-marks', String(count)),
          ),
        ],
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { stroke: color('--muted'), grid: { stroke: color('--border') }, ticks: { stroke: color('--border') }, values: (_u, ticks) => ticks.map((s) => time(s, TIME_FORMATS[interval].axis)) },
          { stroke: color('--muted'), grid: { stroke: color('--border') }, ticks: { stroke: color('--border') }, values: (_u, ticks) => ticks.map((t) => format(t)), size: 60 },
        ],
        series: [
          { label: t(interval === 'hour' ? 'ui.graph.hour' : 'ui.graph.date'), value: (_u, s) => (s === null ? '–' : time(s, TIME_FORMATS[interval].legend)) },
          { label: t(`metric.${metric}`), stroke: color('--accent'), width: 2, fill: color('--accent-fill'), value: (_u, v) => legend(estimates.current, v) },
          { label: t('ui.graph.previous'), stroke: color('--muted'), width: 1.5, dash: [6, 6], value: (_u, v) => legend(estimates.previous, v) },
        ],
      },
      [xs, current, before],
      box,
    )
    const rows = this.plot.root.querySelectorAll('.u-legend .u-series')
    ;[estimates.current, estimates.previous].forEach((estimate, i) => estimate && rows[i + 1]?.setAttribute('title', t('ui.estimate')))
    this.resize.observe(box)
  }

  override render() {
    const label = t(`metric.${this.view ? graphMetric(this.view) : 'visitors'}`)
    const estimates = this.estimates(this.series.value)
    const described = [estimates.current || estimates.previous ? 'estimate-note' : '', this._hasNotes ? 'notes-heading' : ''].filter(Boolean).join(' ')
    return html`
      <header>
        <h2>${label}</h2>
        ${estimates.current || estimates.previous
          ? html`<p class="estimate-note" id="estimate-note"><span aria-hidden="true">≈</span> ${t('ui.graph.estimated', { line: estimates.current ? 'current' : 'previous' })}</p>`
          : nothing}
      </header>
      ${this.series.render({
        pending: () => (this.series.value ? '' : html`<p class="muted">${t('ui.loading')}</p>`),
        error: (error) => html`<p class="error" role="alert">${t('ui.graphError', { error: (error as Error).message })}</p>`,
      })}
      <div class="plot" role="img" aria-label=${t('ui.graph.overTime', { metric: label })} aria-describedby=${described || nothing}></div>
      ${this._notes()}
    `
  }

  /** Whether the annotations' section is drawn: when there are some, or when the reader may add one. */
  private get _hasNotes(): boolean {
    return Boolean(this.series.value) && (this.canWrite || Boolean(this.notes.value?.length))
  }

  /** The annotations of the range as text, each removable by who may; the form to add one. */
  private _notes() {
    const notes = this.notes.value ?? []
    const range = this.series.value?.range
    if (!range || !this._hasNotes) return nothing
    const problem = this.problem
    const field = (name: 'day' | 'text') => ({ invalid: problem?.fields[name] ? 'true' : 'false', describedby: problem?.fields[name] ? `annotation-${name}-error` : nothing })
    const day = field('day')
    const text = field('text')
    return html`<section class="notes" aria-labelledby="notes-heading">
      <div class="notes-head">
        <h3 id="notes-heading">${t('ui.annotations.heading', { count: notes.length })}</h3>
        ${this.canWrite && !this.adding ? html`<button type="button" class="add" @click=${this._open}>${t('ui.annotations.add')}</button>` : nothing}
      </div>
      ${this.notes.render({
        error: (error) => html`<p class="field-error" role="alert">${t('ui.annotations.error', { error: (error as Error).message })}</p>`,
      })}
      ${notes.length
        ? html`<ul>
            ${notes.map(
              (a) => html`<li data-day=${a.day} data-annotation=${a.id}>
                <time datetime=${a.day}>${formatDate(a.day)}</time>
                <span class="text">${shown(a.text)}</span>
                ${a.editable && this.canWrite
                  ? html`<button type="button" class="danger remove" ?disabled=${this.busy} aria-label=${t('ui.annotations.removeOf', { day: formatDate(a.day), text: a.text })} @click=${() => this._remove(a)}>${t('ui.settings.remove')}</button>`
                  : nothing}
              </li>`,
            )}
          </ul>`
        : nothing}
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.adding
        ? html`<form @submit=${this._add} novalidate aria-labelledby="add-annotation-heading">
            <h3 id="add-annotation-heading" class="visually-hidden">${t('ui.annotations.add')}</h3>
            <div class="field">
              <label for="annotation-day">${t('ui.annotations.day')}</label>
              <input id="annotation-day" name="day" type="date" required .value=${range.to} aria-invalid=${day.invalid} aria-describedby=${day.describedby} />
              ${problem?.fields.day ? html`<p class="field-error" id="annotation-day-error">${t('ui.settings.fieldProblem', { problem: problem.fields.day })}</p>` : nothing}
            </div>
            <div class="field text">
              <label for="annotation-text">${t('ui.annotations.text')}</label>
              <input id="annotation-text" name="text" type="text" required maxlength="500" autocomplete="off" aria-invalid=${text.invalid} aria-describedby=${text.describedby} />
              ${problem?.fields.text ? html`<p class="field-error" id="annotation-text-error">${t('ui.settings.fieldProblem', { problem: problem.fields.text })}</p>` : nothing}
            </div>
            <button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? t('ui.settings.working') : t('ui.annotations.save')}</button>
            <button type="button" class="cancel" @click=${this._cancel}>${t('ui.settings.cancel')}</button>
          </form>`
        : nothing}
      ${problem && !problem.fields.day && !problem.fields.text ? html`<p class="field-error" role="alert">${t('ui.settings.refused', { error: problem.message })}</p>` : nothing}
    </section>`
  }

  private readonly _open = async (): Promise<void> => {
    this.adding = true
    this.problem = undefined
    this.done = ''
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('#annotation-text')?.focus()
  }

  private readonly _cancel = async (): Promise<void> => {
    this.adding = false
    this.problem = undefined
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('.notes button.add')?.focus()
  }

  private readonly _add = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    this.busy = true
    try {
      const added = await send<Annotation>('POST', `${sitePath(this.view.site)}/annotations`, { day: String(form.get('day') ?? ''), text: String(form.get('text') ?? '').trim() })
      this.problem = undefined
      this.adding = false
      this.done = t('ui.annotations.added', { day: formatDate(added.day) })
      await this.notes.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('.notes button.add')?.focus()
    } catch (error) {
      this.problem = error instanceof ApiError ? { message: error.summary, fields: error.errors } : { message: (error as Error).message, fields: {} }
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('.notes [aria-invalid="true"]')?.focus()
    } finally {
      this.busy = false
    }
  }

  private async _remove(note: Annotation): Promise<void> {
    this.busy = true
    try {
      await send('DELETE', `${sitePath(this.view.site)}/annotations/${encodeURIComponent(note.id)}`)
      this.problem = undefined
      this.done = t('ui.annotations.removed', { day: formatDate(note.day) })
      await this.notes.run()
    } catch (error) {
      this.done = ''
      this.problem = { message: (error as Error).message, fields: {} }
    } finally {
      this.busy = false
    }
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('.notes button.add, .notes h3')?.focus()
  }
}

customElements.define('cairn-graph', CairnGraph)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-graph': CairnGraph
  }
}
