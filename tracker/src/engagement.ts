/**
 * Engaged time (page visible and focused) and the deepest scroll, reported as an `engagement` event when
 * the page is hidden or left, and before an SPA navigation counts the next page.
 */
import { doc, on, visible } from './dom.ts'
import { send } from './send.ts'

let engagedMs = 0
let since = 0 // start of the current engaged stretch; 0 while not engaged
let maxScroll = 0

function update(): void {
  const now = Date.now()
  if (since) engagedMs += now - since
  since = visible() && doc.hasFocus() ? now : 0
}

function scroll(): void {
  // The collector rounds and caps at 100; no need to spend bytes on it here.
  maxScroll = Math.max(maxScroll, ((scrollY + innerHeight) / doc.documentElement.scrollHeight) * 100)
}

/** Counts the time up to now: call it whenever visibility or focus changes. */
export { update as updateEngagement }

/** Sends what this page gathered, if it is worth a report, and starts over. */
export function flushEngagement(): void {
  update()
  if (engagedMs >= 1000) send('engagement', { e: engagedMs, sd: maxScroll })
  engagedMs = maxScroll = 0
  scroll()
}

export function initEngagement(): void {
  update()
  scroll()
  on('scroll', scroll)
  on('focus', update)
  on('blur', update)
  on('pagehide', flushEngagement)
}
