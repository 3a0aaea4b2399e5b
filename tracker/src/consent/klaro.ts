/** Klaro: the consent for Cairn's service (`cairn` unless data-consent="klaro:<service>"), once confirmed. */
import { key, report, whenReady, win } from './report.ts'

export const present = () => win.klaro?.getManager

export const start = () =>
  whenReady(present, () => {
    const manager = win.klaro.getManager()
    const read = () => manager.confirmed && report(manager.getConsent(key('cairn')) === true)
    read()
    manager.watch({ update: (_: unknown, type: string) => type == 'saveConsents' && read() })
  })
