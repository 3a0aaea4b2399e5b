/** Axeptio: the choice for Cairn's vendor key (`cairn` unless data-consent="axeptio:<key>") when cookies are complete. */
import { key, report, win } from './report.ts'

export const present = () => win._axcb || win.axeptioSettings

export const start = () =>
  (win._axcb = win._axcb || []).push((sdk: any) => sdk.on('cookies:complete', (choices: any) => report(choices[key('cairn')] === true)))
