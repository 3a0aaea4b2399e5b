/**
 * What every banner adapter shares. An adapter only reads its CMP and reports through the tracker's public
 * API, `cairn('consent', {statistics})`, exactly as a site without a supported banner would.
 */
const w = window as any

export const report = (statistics: boolean) => w.cairn('consent', { statistics })

/** The part after the colon in data-consent (`onetrust:C0004`), else the adapter's default. */
export const key = (fallback: string) =>
  document.querySelector('script[data-consent]')?.getAttribute('data-consent')!.split(':')[1] || fallback

/** Runs `start` once `ready()` holds; checks every 100 ms for 10 s (the CMP's script may load after ours). */
export function whenReady(ready: () => unknown, start: () => void): void {
  let tries = 100
  const check = () => (ready() ? start() : --tries && setTimeout(check, 100))
  check()
}

export { w as win }
