/** The main graph: one metric over the range, the previous period overlaid (dashed). A thin owner of a uPlot instance. */
import { LitElement, css, html, unsafeCSS } from 'lit'
import { Task, initialState } from '@lit/task'
import uPlot from 'uplot'
import uPlotCss from 'uplot/dist/uPlot.min.css'
import { api, formatDuration, formatNumber } from './api.ts'
import { statsParams, type Metric, type ViewState } from './state.ts'
import { panel } from './styles.ts'

interface Point {
  bucket: string
  [metric: string]: number | string
}

const LABELS: Record<Metric, string> = {
  visitors: 'Visitors', visits: 'Visits', pageviews: 'Pageviews', downloads: 'Downloads', bounce_rate: 'Bounce rate', visit_duration: 'Visit duration',
}

export class CairnGraph extends LitElement {
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
      site ? api<{ points: Point[]; previous?: { points: Point[] } }>(`/api/stats/${encodeURIComponent(site)}/timeseries?${params}`) : initialState,
  })

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.resize.disconnect()
    this.plot?.destroy()
    this.plot = undefined
  }

  protected override updated(): void {
    const data = this.series.value
    const shown = [data, this.view?.metric, this.view?.compare]
    if (data && shown.some((v, i) => v !== this.drawn[i])) {
      this.drawn = shown
      this.draw(data.points, data.previous?.points)
    }
  }

  private size() {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    return { width: Math.max(200, box?.clientWidth ?? 600), height: 280 }
  }

  private draw(points: Point[], previous: Point[] | undefined): void {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    if (!box) return
    const metric = this.view.metric
    const xs = points.map((p) => Date.parse(p.bucket.replace(' ', 'T') + (p.bucket.length > 10 ? 'Z' : 'T00:00:00Z')) / 1000)
    const current = points.map((p) => Number(p[metric]))
    const before = points.map((_, i) => (this.view.compare && previous?.[i] ? Number(previous[i]![metric]) : null))
    const style = getComputedStyle(this)
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888'
    const format = (v: number | null) => (v === null ? '–' : metric === 'visit_duration' ? formatDuration(v) : metric === 'bounce_rate' ? `${v}%` : formatNumber(v))
    this.plot?.destroy()
    this.plot = new uPlot(
      {
        ...this.size(),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { stroke: color('--muted'), grid: { stroke: color('--border') }, ticks: { stroke: color('--border') } },
          { stroke: color('--muted'), grid: { stroke: color('--border') }, ticks: { stroke: color('--border') }, values: (_u, ticks) => ticks.map((t) => format(t)), size: 60 },
        ],
        series: [
          { label: this.view.period === 'today' || this.view.period === 'yesterday' ? 'Hour' : 'Date' },
          { label: LABELS[metric], stroke: color('--accent'), width: 2, fill: color('--accent-fill'), value: (_u, v) => format(v) },
          { label: 'Previous period', stroke: color('--muted'), width: 1.5, dash: [6, 6], value: (_u, v) => format(v) },
        ],
      },
      [xs, current, before],
      box,
    )
    this.resize.observe(box)
  }

  override render() {
    const label = LABELS[this.view?.metric ?? 'visitors']
    return html`
      <header><h2>${label}</h2></header>
      ${this.series.render({
        pending: () => (this.series.value ? '' : html`<p class="muted">Loading…</p>`),
        error: (error) => html`<p class="error" role="alert">Could not load the graph: ${(error as Error).message}</p>`,
      })}
      <div class="plot" role="img" aria-label="${label} over time"></div>
    `
  }
}

customElements.define('cairn-graph', CairnGraph)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-graph': CairnGraph
  }
}
