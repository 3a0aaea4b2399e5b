/**
 * The look of Cairn's mails: a heading, paragraphs, a button, a footer, as HTML with inline styles (mail
 * clients drop style sheets) and as the plain-text part with the same words. Every word comes from the
 * catalogues; everything is escaped here.
 */

export interface MailBody {
  /** The recipient's language (`lang` of the HTML). */
  language: string
  heading: string
  paragraphs: string[]
  /** The one thing to do, as a button (and its address spelt out in the text part). */
  action?: { label: string; url: string }
  /** HTML already built from escaped parts (a report's tables), with its text part. */
  extra?: { html: string; text: string }
  footer: string[]
  /** A link at the very end (unsubscribe), after the footer. */
  footerLink?: { label: string; url: string }
}

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

export function renderMail(body: MailBody): { html: string; text: string } {
  const p = (text: string, style = '') => `<p style="margin:0 0 14px;${style}">${escapeHtml(text)}</p>`
  const html = `<!doctype html>
<html lang="${escapeHtml(body.language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(body.heading)}</title></head>
<body style="margin:0;padding:0;background:#f6f7f9;color:#17202a;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f7f9"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border:1px solid #e3e7ec;border-radius:10px"><tr><td style="padding:24px">
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(body.heading)}</h1>
${body.paragraphs.map((t) => p(t)).join('\n')}
${body.action ? `<p style="margin:20px 0"><a href="${escapeHtml(body.action.url)}" style="display:inline-block;background:#4f5bd5;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:8px">${escapeHtml(body.action.label)}</a></p>
<p style="margin:0 0 14px;font-size:13px;color:#66727f;word-break:break-all">${escapeHtml(body.action.url)}</p>` : ''}
${body.extra?.html ?? ''}
${body.footer.map((t) => p(t, 'font-size:13px;color:#66727f')).join('\n')}
${body.footerLink ? `<p style="margin:0;font-size:13px"><a href="${escapeHtml(body.footerLink.url)}" style="color:#4f5bd5">${escapeHtml(body.footerLink.label)}</a></p>` : ''}
</td></tr></table>
</td></tr></table>
</body></html>
`
  const text = [
    body.heading,
    '',
    ...body.paragraphs.flatMap((t) => [t, '']),
    ...(body.action ? [`${body.action.label}:`, body.action.url, ''] : []),
    ...(body.extra ? [body.extra.text, ''] : []),
    // The signature separator mail clients know, then the footer.
    ...(body.footer.length || body.footerLink ? ['-- ', ...body.footer] : []),
    ...(body.footerLink ? [`${body.footerLink.label}: ${body.footerLink.url}`] : []),
  ].join('\n')
  return { html, text }
}
