/** The main graph: one metric over the range, the previous period overlaid (dashed). A thin owner of a uPlot instance. */
import { css, html, unsafeCSS } from 'lit'
import { Task, initialState } from '@lit/task'
import uPlot from 'uplot'
import uPlotCss from 'uplot/dist/uPlot.min.css'
import type { Interval } from '../server/range.ts'
import { api } from './api.ts'
import { Localized, formatCount, formatDate, formatDuration, formatPercent, t } from './i18n.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'

interface Point {
  bucket: string
  [metric: string]: number | string
}

/** How a bucket's time is written: on the axis (short) and in the legend (whole). */
const TIME_FORMATS: Record<Interval, { axis: Intl.DateTimeFormatOptions; legend: Intl.DateTimeFormatOptions }> = {
  hour: { axis: { hour: 'numeric' }, legend: { dateStyle: 'medium', timeStyle: 'short' } },
  day: { axis: { day: 'numeric', month: 'short' }, legend: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' } },
  month: { axis: { month: 'short', year: '2-digit' }, legend: { month: 'long', year: 'numeric' } },
}

export class CairnGraph extends Localized {
  static override styles = [
    panel,
    unsafeCSS(uPlotCss),
    css`
      .plot { height: 280px; }
      .u-legend { font-size: 12px; color: var(--muted); }
      .u-axis { color: var(--muted); }
    `,
  ]

  static override properties = { view: { attribute: false } }

  /** The dashboard's current view (its metric picks the line, its compare flag the overlay). */
  declare view: ViewState
  private plot: uPlot | undefined
  /** What the plot shows now, so it is redrawn only when that changes. */
  private drawn: unknown[] = []
  private readonly resize = new ResizeObserver(() => this.plot?.setSize(this.size()))

  private readonly series = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams(this.view)] as const,
    task: async ([site, params]) =>
      site ? api<{ range: { interval: Interval }; points: Point[]; previous?: { points: Point[] } }>(`/api/stats/${encodeURIComponent(site)}/timeseries?${params}`) : initialState,
  })

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.resize.disconnect()
    this.plot?.destroy()
    this.plot = undefined
  }

  protected override updated(): void {
    const data = this.series.value
    const shown = [data, this.view?.metric, this.view?.compare, document.documentElement.lang]
    if (data && shown.some((v, i) => v !== this.drawn[i])) {
      this.drawn = shown
      this.draw(data.range.interval, data.points, data.previous?.points)
    }
  }

  private size() {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    return { width: Math.max(200, box?.clientWidth ?? 600), height: 280 }
  }

  private draw(interval: Interval, points: Point[], previous: Point[] | undefined): void {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    if (!box) return
    const metric = this.view.metric
    const xs = points.map((p) => Date.parse(p.bucket.replace(' ', 'T') + (p.bucket.length > 10 ? 'Z' : 'T00:00:00Z')) / 1000)
    const current = points.map((p) => Number(p[metric]))
    const before = points.map((_, i) => (this.view.compare && previous?.[i] ? Number(previous[i]![metric]) : null))
    const style = getComputedStyle(this)
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888'
    const format = (v: number | null) => (v === null ? '–' : metric === 'visit_duration' ? formatDuration(v) : metric === 'bounce_rate' ? formatPercent(v) : formatCount(v))
    // uPlot's own date formats are English; the axis and legend are written by Intl instead.
    const time = (seconds: number, options: Intl.DateTimeFormatOptions) => formatDate(new Date(seconds * 1000), options)
    this.plot?.destroy()
    this.plot = new uPlot(
      {
        ...this.size(),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { stroke: color('--muted'), grid: { stroke: color('--border') }, ticks: { stroke: color('--border') }, values: (_u, ticks) => ticks.map((s) => time(s, TIME_FORMATS[interval].axis)) },
          { stroke: color('--muted'), grid: { stroke: color('--border') }, ticks: { stroke: color('--border') }, values: (_u, ticks) => ticks.map((t) => format(t)), size: 60 },
        ],
        series: [
          { label: t(interval === 'hour' ? 'ui.graph.hour' : 'ui.graph.date'), value: (_u, s) => (s === null ? '–' : time(s, TIME_FORMATS[interval].legend)) },
          { label: t(`metric.${metric}`), stroke: color('--accent'), width: 2, fill: color('--accent-fill'), value: (_u, v) => format(v) },
          { label: t('ui.graph.previous'), stroke: color('--muted'), width: 1.5, dash: [6, 6], value: (_u, v) => format(v) },
        ],
      },
      [xs, current, before],
      box,
    )
    this.resize.observe(box)
  }

  override render() {
    const label = t(`metric.${this.view?.metric ?? 'visitors'}`)
    return html`
      <header><h2>${label}</h2></header>
      ${this.series.render({
        pending: () => (this.series.value ? '' : html`<p class="muted">${t('ui.loading')}</p>`),
        error: (error) => html`<p class="error" role="alert">${t('ui.graphError', { error: (error as Error).message })}</p>`,
      })}
      <div class="plot" role="img" aria-label=${t('ui.graph.overTime', { metric: label })}></div>
    `
  }
}

customElements.define('cairn-graph', CairnGraph)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-graph': CairnGraph
  }
}
