/** tarteaucitron: the service's state (`cairn` unless data-consent="tarteaucitron:<key>") and its document events. */
import { key, report, win } from './report.ts'

export const present = () => win.tarteaucitron

export function start(): void {
  const service = key('cairn')
  // Until tarteaucitron has read its cookie (`!service=true!other=false`), read the configured service there.
  const state = win.tarteaucitron?.state?.[service] ?? RegExp('tarteaucitron=[^;]*!' + service + '=(\\w+)').exec(document.cookie)?.[1]
  if (state === true || state == 'true' || state === false || state == 'false') report(String(state) == 'true')
  document.addEventListener(service + '_allowed', () => report(true))
  document.addEventListener(service + '_disallowed', () => report(false))
}
