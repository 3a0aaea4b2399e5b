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
