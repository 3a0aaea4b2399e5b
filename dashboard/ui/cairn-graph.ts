/** The main graph: one metric over the range, the previous period overlaid (dashed). A thin owner of a uPlot instance. */
import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit'
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

  static override properties = {
    view: { attribute: false },
    points: { state: true },
    previous: { state: true },
    error: { state: true },
  }

  /** The dashboard's current view (its metric picks the line). */
  declare view: ViewState
  declare points: Point[] | undefined
  declare previous: Point[] | undefined
  declare error: string
  private plot: uPlot | undefined
  private request = 0
  private readonly resize = new ResizeObserver(() => this.plot?.setSize(this.size()))

  constructor() {
    super()
    this.error = ''
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.resize.disconnect()
    this.plot?.destroy()
    this.plot = undefined
  }

  protected override updated(changed: PropertyValues<this>): void {
    const view = changed.get('view') as ViewState | undefined
    // The metric alone changes the line, not the data.
    if (changed.has('view') && (!view || statsParams(view) !== statsParams(this.view) || view.site !== this.view.site)) void this.load()
    else if (changed.has('view') || changed.has('points')) this.draw()
  }

  private async load(): Promise<void> {
    if (!this.view?.site) return
    const request = ++this.request
    try {
      const data = await api<{ points: Point[]; previous?: { points: Point[] } }>(
        `/api/stats/${encodeURIComponent(this.view.site)}/timeseries?${statsParams(this.view)}`,
      )
      if (request !== this.request) return
      this.previous = data.previous?.points
      this.points = data.points
      this.error = ''
    } catch (error) {
      if (request === this.request) this.error = `Could not load the graph: ${(error as Error).message}`
    }
  }

  private size() {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    return { width: Math.max(200, box?.clientWidth ?? 600), height: 280 }
  }

  private draw(): void {
    const box = this.renderRoot.querySelector('.plot') as HTMLElement | null
    if (!box || !this.points) return
    const metric = this.view.metric
    const xs = this.points.map((p) => Date.parse(p.bucket.replace(' ', 'T') + (p.bucket.length > 10 ? 'Z' : 'T00:00:00Z')) / 1000)
    const current = this.points.map((p) => Number(p[metric]))
    const before = this.points.map((_, i) => (this.view.compare && this.previous?.[i] ? Number(this.previous[i]![metric]) : null))
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
    return html`
      <header><h2>${LABELS[this.view?.metric ?? 'visitors']}</h2></header>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : this.points ? '' : html`<p class="muted">Loading…</p>`}
      <div class="plot" role="img" aria-label="${LABELS[this.view?.metric ?? 'visitors']} over time"></div>
    `
  }
}

customElements.define('cairn-graph', CairnGraph)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-graph': CairnGraph
  }
}
