/**
 * What every extension shares. An extension only watches the page and counts through the tracker's public
 * API, `cairn('event', name, {props})`, exactly as a site's own code would: consent, opt-out, exclusions
 * and the wire format stay in the core. The core has defined `window.cairn` before any module loads.
 */
export function event(name: string, props: Record<string, string | undefined>): void {
  ;(window as any).cairn('event', name, { props })
}
