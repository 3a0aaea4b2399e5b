/**
 * Google Consent Mode v2: the last `analytics_storage` pushed to dataLayer by gtag('consent', …). A
 * 'default' of denied is the site's state before the banner answered, not an answer, so only 'update'
 * (or a granted default) counts.
 */
import { report, win } from './report.ts'

export const present = () => win.dataLayer?.some?.((entry: any) => entry?.[0] == 'consent')

function read(entry: any): void {
  const state = entry?.[0] == 'consent' && entry[2]?.analytics_storage
  if (state && (entry[1] == 'update' || state == 'granted')) report(state == 'granted')
}

export function start(): void {
  const dataLayer = (win.dataLayer = win.dataLayer || [])
  for (const entry of dataLayer) read(entry)
  const push = dataLayer.push
  dataLayer.push = function (...entries: any[]) {
    entries.forEach(read)
    return push.apply(this, entries)
  }
}
