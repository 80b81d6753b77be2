import { newTrackingToken } from './tracking-tokens.js';

export interface RenderedEmail {
  readonly html: string;
  readonly links: { url: string; token: string }[];
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The HTML part for a plain-text message: escaped, line breaks kept, bare links made clickable. */
export function htmlFromText(text: string): string {
  const linked = escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
  return `<div>${linked.replace(/\r?\n/g, '<br>')}</div>`;
}

/**
 * Rewrites every http(s) link through the click redirect (one token per link) and adds the
 * open pixel, so opens and clicks come back as signals.
 */
export function renderTracked(html: string, organizationId: string, publicUrl: string, openToken: string): RenderedEmail {
  const links: { url: string; token: string }[] = [];
  const rewritten = html.replace(/(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?:\/\/[^"']+)\2/gi, (_all, prefix: string, quote: string, url: string) => {
    const token = newTrackingToken(organizationId);
    links.push({ url: url.replace(/&amp;/g, '&'), token });
    return `${prefix}${quote}${publicUrl}/t/c/${token}${quote}`;
  });
  const pixel = `<img src="${publicUrl}/t/o/${openToken}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`;
  const withPixel = /<\/body>/i.test(rewritten) ? rewritten.replace(/<\/body>/i, `${pixel}</body>`) : `${rewritten}${pixel}`;
  return { html: withPixel, links };
}
