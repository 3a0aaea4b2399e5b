/**
 * Estimated figures. For long ranges of big sites the stats API may count some visitors with a sketch
 * (within 1 % at the 95th percentile) and names those metrics in its answer's `approximate`. Such a number
 * is drawn after "≈", which its tooltip and screen readers say is an estimate; each panel tells the app
 * whether its numbers include any (`cairn-estimates`), so that the app offers exact figures.
 */
import { css, html, type TemplateResult } from 'lit'
import { t } from './i18n.ts'

/** What an answer (or its previous period) of aggregate, timeseries and breakdown says of its estimates. */
export interface MaybeEstimated {
  /** The metrics whose figures in this object may be estimates; absent or empty when all are exact. */
  approximate?: string[]
}

/** Whether `metric`'s figures in `answer` may be estimates. */
export const isEstimate = (answer: MaybeEstimated | undefined, metric: string): boolean => answer?.approximate?.includes(metric) ?? false

/** The mark before an estimated number: "≈" with its tooltip for the eye, the words for a screen reader. */
export const estimateMark = (): TemplateResult =>
  html`<span class="estimate"><span aria-hidden="true" title=${t('ui.estimate')}>≈</span><span class="visually-hidden">${t('ui.estimate')} </span></span>`

/** `number` (formatted), after the mark when it is an estimate. */
export const estimated = (estimate: boolean, number: TemplateResult | string): TemplateResult => (estimate ? html`${estimateMark()}${number}` : html`${number}`)

/** The mark's look, for the elements that draw it. */
export const estimateStyles = css`
  .estimate { margin-right: 0.15em; font-weight: inherit; }
  .estimate [title] { cursor: help; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`

/**
 * Tells the app whether `element`'s numbers now include estimates: an answer with some, or none (also
 * after a failure, when no numbers are shown).
 *
 * @fires cairn-estimates - {estimated}: on `element`, bubbling out of shadow roots
 */
export function reportEstimates(element: HTMLElement, ...answers: (MaybeEstimated | undefined)[]): void {
  const estimated = answers.some((answer) => (answer?.approximate?.length ?? 0) > 0)
  element.dispatchEvent(new CustomEvent('cairn-estimates', { detail: { estimated }, bubbles: true, composed: true }))
}
