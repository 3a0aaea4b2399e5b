/**
 * Values that came from visitors' browsers (paths, event names, sources, campaigns) are shown as text and
 * nothing else. Control and bidirectional-formatting characters become visible code points, so a value
 * cannot reverse the text around it or hide part of itself, and each value is isolated from its
 * neighbours (`<bdi>`), so right-to-left text in one does not reorder the next.
 */
import { html, type TemplateResult } from 'lit'

// C0 and C1 controls, the bidi marks, embeddings, overrides and isolates, and the invisible
// separators and format characters (not the zero-width joiners, which scripts and emoji need).
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g

/** The text with every invisible or reordering character written out, e.g. ⟨U+202E⟩. */
export const visible = (text: string): string =>
  text.replace(INVISIBLE, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`)

/** A value for display, isolated from what surrounds it. */
export const shown = (text: string): TemplateResult => html`<bdi>${visible(text)}</bdi>`
