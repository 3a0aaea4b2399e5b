/** OneTrust: the performance group (C0002 unless data-consent="onetrust:<group>") among the active groups. */
import { key, report, win } from './report.ts'

export const present = () => win.OneTrust || win.OnetrustActiveGroups

export function start(): void {
  const group = key('C0002')
  const read = (groups: string) => report((',' + groups + ',').includes(',' + group + ','))
  if (typeof win.OnetrustActiveGroups == 'string') read(win.OnetrustActiveGroups)
  addEventListener('OneTrustGroupsUpdated', (e: any) => read(e.detail.join()))
}
