/**
 * data-extensions="forms": each submitted form counts as the event `Form: <label>`, the label being the
 * form's id, else its name attribute, else where it submits to; props `form` (the id or name, when it has
 * one) and `action` (the path it submits to, with the origin when that is another site; never the query
 * string). Only the <form> element's own attributes are read: never a field, never a value.
 *
 * The `submit` event (capture phase, on the document, so a form whose script cancels it to send it
 * itself counts too) fires once the browser's validation passed; `form.submit()` from a script fires none.
 * The event goes by keepalive fetch, which outlives the page the submission leaves. A form tagged for the
 * `tagged` extension, when both are loaded, also sends its tagged event.
 */
import { event } from './event.ts'

function onSubmit(e: SubmitEvent): void {
  const form = e.target as HTMLFormElement
  // getAttribute, not form.id / form.name / form.action: a field named "id", "name" or "action" stands in for those.
  const attr = (name: string) => form.getAttribute(name)
  const target = new URL(e.submitter?.getAttribute('formaction') || attr('action') || '', document.baseURI)
  const action = target.host == location.host ? target.pathname : target.origin + target.pathname
  const id = attr('id') || attr('name') || undefined
  // The collector takes names up to 120 characters.
  event(('Form: ' + (id || action)).slice(0, 120), { form: id, action })
}

export const start = () => document.addEventListener('submit', onSubmit, true)
