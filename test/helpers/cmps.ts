/**
 * Each supported consent banner's documented API surface (shared/reference/consent-apis.md), as a
 * page script. `answered` starts it as a returning visitor who already granted; otherwise it starts
 * unanswered. Every fake exposes `grant()` and `withdraw()`, which act as the visitor clicking the banner.
 * A banner that finishes loading late announces the choice in force then, as real ones do: a visitor
 * who withdrew meanwhile is not granted again by the late announcement.
 */
import { adapters } from '../../tracker/build.ts'

export type Cmp = string

/** Every banner the tracker has an adapter for (tracker/src/consent/, the one list); `auto` finds them. */
export const CMPS: Cmp[] = adapters.filter((a) => a !== 'auto')

/** Script for the page's <head>, before the tracker, as sites install their banner. */
export function cmpScript(cmp: Cmp, answered: boolean): string {
  const g = JSON.stringify(answered)
  switch (cmp) {
    case 'tcf':
      return `
        (function () {
          var granted = ${g}, status = ${g} ? 'tcloaded' : 'cmpuishown', listeners = [], id = 0;
          function data(listenerId) {
            return { eventStatus: status, gdprApplies: true, listenerId: listenerId, tcString: 'x',
              purpose: { consents: { 1: granted, 8: granted, 9: granted }, legitimateInterests: {} },
              publisher: { consents: {}, legitimateInterests: {} } };
          }
          window.__tcfapi = function (command, version, callback, parameter) {
            if (command === 'addEventListener') { var l = { id: ++id, cb: callback }; listeners.push(l); setTimeout(function () { callback(data(l.id), true) }, 50) }
            else if (command === 'removeEventListener') { listeners = listeners.filter(function (l) { return l.id !== parameter }); callback(true) }
            else if (command === 'ping') callback({ gdprApplies: true, cmpLoaded: true })
          };
          function answer(value) { granted = value; status = 'useractioncomplete'; listeners.forEach(function (l) { l.cb(data(l.id), true) }) }
          window.grant = function () { answer(true) }; window.withdraw = function () { answer(false) };
        })();`
    case 'gcm':
      return `
        window.dataLayer = window.dataLayer || [];
        function gtag() { dataLayer.push(arguments) }
        gtag('consent', 'default', { ad_storage: 'denied', analytics_storage: 'denied', wait_for_update: 500 });
        var granted = ${g};
        if (${g}) setTimeout(function () { if (granted) gtag('consent', 'update', { analytics_storage: 'granted' }) }, 100);
        window.grant = function () { granted = true; gtag('consent', 'update', { ad_storage: 'denied', analytics_storage: 'granted' }) };
        window.withdraw = function () { granted = false; gtag('consent', 'update', { analytics_storage: 'denied' }) };`
    case 'hubspot':
      return `
        (function () {
          var allowed = ${g}, listeners = [];
          function state() { return { allowed: allowed, categories: { necessary: true, analytics: allowed, advertisement: false, functionality: allowed } } }
          window._hsp = window._hsp || [];
          // The banner script loads a little later and takes over the queue.
          setTimeout(function () {
            function run(entry) { if (entry[0] === 'addPrivacyConsentListener') { listeners.push(entry[1]); entry[1](state()) } }
            window._hsp.forEach(run);
            window._hsp.push = function (entry) { run(entry) };
          }, 100);
          function answer(value) { allowed = value; listeners.forEach(function (l) { l(state()) }) }
          window.grant = function () { answer(true) }; window.withdraw = function () { answer(false) };
        })();`
    case 'cookiebot':
      return `
        window.Cookiebot = { consent: { necessary: true, preferences: false, statistics: ${g}, marketing: false, method: ${answered ? "'explicit'" : 'null'} }, hasResponse: ${g} };
        if (${g}) setTimeout(function () { dispatchEvent(new Event('CookiebotOnConsentReady')); if (Cookiebot.consent.statistics) dispatchEvent(new Event('CookiebotOnAccept')) }, 100);
        window.grant = function () { Cookiebot.consent.statistics = true; Cookiebot.hasResponse = true; dispatchEvent(new Event('CookiebotOnAccept')) };
        window.withdraw = function () { Cookiebot.consent.statistics = false; Cookiebot.hasResponse = true; dispatchEvent(new Event('CookiebotOnDecline')) };`
    case 'onetrust':
      return `
        window.OnetrustActiveGroups = ${answered ? "',C0001,C0002,'" : "',C0001,'"};
        window.OneTrust = { OnConsentChanged: function () {} };
        function answer(groups) { window.OnetrustActiveGroups = ',' + groups.join(',') + ','; dispatchEvent(new CustomEvent('OneTrustGroupsUpdated', { detail: groups })) }
        window.grant = function () { answer(['C0001', 'C0002']) }; window.withdraw = function () { answer(['C0001']) };`
    case 'klaro':
      return `
        (function () {
          var watchers = [], consents = { cairn: ${g} };
          var manager = { confirmed: ${g}, consents: consents,
            getConsent: function (name) { return consents[name] === true },
            watch: function (w) { watchers.push(w) }, unwatch: function () {} };
          setTimeout(function () { window.klaro = { getManager: function () { return manager } } }, 100);
          function answer(value) { consents.cairn = value; manager.confirmed = true; watchers.forEach(function (w) { w.update(manager, 'consents', consents); w.update(manager, 'saveConsents', { changes: {}, consents: consents, type: 'save' }) }) }
          window.grant = function () { answer(true) }; window.withdraw = function () { answer(false) };
        })();`
    case 'axeptio':
      return `
        (function () {
          var handlers = {}, choices = ${answered ? '{ cairn: true, $$completed: true }' : 'null'};
          var sdk = { on: function (event, handler) { (handlers[event] = handlers[event] || []).push(handler); if (event === 'cookies:complete' && choices) handler(choices) } };
          window.axeptioSettings = { clientId: 'test' };
          window._axcb = window._axcb || [];
          setTimeout(function () { window._axcb.forEach(function (f) { f(sdk) }); window._axcb.push = function (f) { f(sdk) } }, 100);
          function answer(value) { choices = { cairn: value, $$completed: true }; (handlers['cookies:complete'] || []).forEach(function (h) { h(choices) }) }
          window.grant = function () { answer(true) }; window.withdraw = function () { answer(false) };
        })();`
    case 'tarteaucitron':
      return `
        window.tarteaucitron = { state: { cairn: ${answered ? 'true' : "'wait'"} }, job: ['cairn'] };
        if (${g}) setTimeout(function () { if (tarteaucitron.state.cairn === true) document.dispatchEvent(new Event('cairn_allowed')) }, 100);
        window.grant = function () { tarteaucitron.state.cairn = true; document.dispatchEvent(new Event('cairn_allowed')) };
        window.withdraw = function () { tarteaucitron.state.cairn = false; document.dispatchEvent(new Event('cairn_disallowed')) };`
    default:
      throw new Error(`no fake banner for the ${cmp} adapter: add one here, after its documented API`)
  }
}
