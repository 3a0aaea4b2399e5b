/** Short local names for the globals every feature touches: the minifier can shorten locals, not globals. */
export const doc = document
export const loc = location
export const nav = navigator as Navigator & { globalPrivacyControl?: boolean }
export const on = (type: string, listener: (e: any) => void, target: EventTarget = window) => target.addEventListener(type, listener, true)
export const visible = () => !doc.hidden
