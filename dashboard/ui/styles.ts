/** Shared look: colours are CSS variables set by the theme on <cairn-app>, inherited through shadow roots. */
import { css } from 'lit'

export const panel = css`
  :host {
    display: block;
    background: var(--panel);
    border: 1px solid var(--border);
    border-radius: 10px;
    padding: 16px;
    min-width: 0;
  }
  h2 {
    font-size: 15px;
    margin: 0;
    font-weight: 600;
  }
  header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 8px;
    margin-bottom: 12px;
    flex-wrap: wrap;
  }
  .muted {
    color: var(--muted);
  }
  .error {
    color: var(--bad);
  }
  button,
  a {
    font: inherit;
    color: inherit;
  }
  button:focus-visible,
  a:focus-visible,
  select:focus-visible,
  input:focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 2px;
  }
`

/**
 * The settings' forms, tables and dialogs. Every control is at least 24 px high (WCAG 2.5.8), a table
 * scrolls inside a focusable region on a phone, and an invalid field is marked by more than its colour.
 */
export const forms = css`
  h3 { font-size: 14px; margin: 18px 0 8px; font-weight: 600; }
  p { margin: 8px 0; }
  label,
  .label { display: block; font-size: 13px; color: var(--muted); margin: 12px 0 4px; }
  label.inline { display: inline-flex; align-items: center; gap: 6px; margin: 6px 16px 6px 0; color: var(--text); font-size: 14px; }
  .hint { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
  input:not([type='checkbox'], [type='radio']),
  select,
  textarea { box-sizing: border-box; width: 100%; max-width: 460px; padding: 7px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--text); font: inherit; }
  textarea { min-height: 64px; resize: vertical; }
  input[readonly],
  textarea[readonly] { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
  [aria-invalid='true'] { border-color: var(--bad) !important; border-width: 2px !important; }
  .field-error { color: var(--bad); font-size: 13px; margin: 4px 0 0; }
  .field-error::before { content: '⚠ ' / ''; }
  fieldset { border: 1px solid var(--border); border-radius: 8px; padding: 8px 12px; margin: 12px 0 0; max-width: 460px; }
  legend { font-size: 13px; color: var(--muted); padding: 0 4px; }
  button { font: inherit; min-height: 32px; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--border); background: var(--panel); color: var(--text); cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); font-weight: 600; }
  button.danger { color: var(--bad); border-color: var(--bad); }
  button.danger.primary { background: var(--bad); color: var(--panel); }
  button[disabled] { opacity: 0.6; cursor: default; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 14px; align-items: center; }
  .row-actions { display: flex; flex-wrap: wrap; gap: 6px; justify-content: flex-end; }
  .scroll { overflow-x: auto; max-width: 100%; position: relative; }
  table { width: 100%; border-collapse: collapse; font-size: 14px; }
  caption { text-align: left; font-size: 13px; color: var(--muted); padding-bottom: 6px; }
  th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; padding: 4px 10px 6px 0; white-space: nowrap; }
  td { padding: 6px 10px 6px 0; border-top: 1px solid var(--border); vertical-align: middle; }
  td.nowrap { white-space: nowrap; }
  .once { border: 1px solid var(--accent); background: var(--accent-fill); border-radius: 10px; padding: 12px 14px; margin: 14px 0; }
  .once strong { display: block; }
  .once label { color: var(--text); }
  .secret { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  .secret input,
  .secret textarea { flex: 1 1 220px; }
  .status { font-size: 13px; min-height: 1em; }
  p.status:empty { margin: 0; min-height: 0; }
  .ok { color: var(--good); }
  dialog { background: var(--panel); color: var(--text); border: 1px solid var(--border); border-radius: 12px; padding: 20px; width: min(440px, calc(100vw - 48px)); box-sizing: border-box; }
  dialog::backdrop { background: rgba(0, 0, 0, 0.45); }
  dialog h2 { font-size: 17px; margin: 0 0 8px; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  code,
  pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
  @media (max-width: 600px) { :host { padding: 12px; } input:not([type='checkbox'], [type='radio']), select, textarea { max-width: none; } }
`
