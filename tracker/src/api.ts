/**
 * `window.cairn(command, …)`: event, consent, optout, optin. Calls made before the script loaded wait in
 * `cairn.q` (the snippet in the README creates it) and run now, in order.
 */
import { setConsent } from './consent-state.ts'
import { send, setOptOut } from './send.ts'

function run(command: string, arg?: any, options?: any): void {
  if (command == 'event') send(arg, { p: options?.props })
  if (command == 'consent') setConsent(arg.statistics === true)
  if (command == 'optout') setOptOut(true)
  if (command == 'optin') setOptOut(false)
}

export function initApi(): void {
  const w = window as any
  const queued: ArrayLike<any>[] = w.cairn?.q || []
  w.cairn = run
  for (const args of queued) (run as any)(...(args as any))
}
