/** cairn.js: the whole tracker. Each feature is a file; this only starts them in order. */
import { initApi } from './api.ts'
import { doc, on, visible } from './dom.ts'
import { flushEngagement, initEngagement, updateEngagement } from './engagement.ts'
import { initLinks } from './links.ts'
import { firstPageview, initPageviews } from './pageviews.ts'
import { consentSetting, extensions, scriptSrc } from './state.ts'

// A banner adapter, and each extension, is its own small module beside this script, loaded only by the
// sites that name it in data-consent or data-extensions (src/ext/: forms, 404, tagged); an adapter reads
// its key (`onetrust:C0004`) from data-consent itself. The URL must be absolute: a cross-origin classic
// script has no base URL for import(). A wrong name shows in the console as a failed module load, which
// says what to fix.
if (consentSetting && consentSetting != 'manual') import(new URL('cairn.consent.' + consentSetting.split(':')[0] + '.js', scriptSrc) as any)
extensions?.split(/, */).map((name) => import(new URL('cairn.ext.' + name + '.js', scriptSrc) as any))
initApi()
initEngagement()
initLinks()
initPageviews()
// One listener for both: shown → count the pageview a hidden load owes and resume engaged time; hidden → report engagement.
on('visibilitychange', () => (visible() ? (updateEngagement(), firstPageview()) : flushEngagement()), doc)
