/**
 * Pageviews: on load (once the page is visible, so prerendered and background tabs wait), on SPA
 * navigations when the path changes, and again when the page comes back from the back/forward cache.
 */
import { loc, on, visible } from './dom.ts'
import { flushEngagement } from './engagement.ts'
import { send } from './send.ts'
import { hashMode } from './state.ts'

let lastPath: string | undefined

function pageview(): void {
  const path = loc.pathname + (hashMode ? loc.hash : '')
  if (path == lastPath) return
  if (lastPath != null) flushEngagement()
  lastPath = path
  send('pageview')
}

export function initPageviews(): void {
  // map, not for…of: with no statement left, terser folds this function into the start sequence (6 B gzip less).
  ;(['pushState', 'replaceState'] as const).map((method) => {
    const original = history[method]
    history[method] = function (this: History) {
      original.apply(this, arguments as any)
      pageview()
    }
  })
  on('popstate', pageview)
  if (hashMode) on('hashchange', pageview)
  on('pageshow', (e: PageTransitionEvent) => e.persisted && ((lastPath = undefined), pageview()))
  firstPageview()
}

/**
 * The load's pageview, once the page is shown. A prerendered page is hidden until activated (WPT
 * speculation-rules/prerender/visibility-state), so this one check covers it; pageview() ignores an
 * unchanged path, so showing the page again does not count twice.
 */
export const firstPageview = () => visible() && pageview()
