// The guides of docs/ and their pictures, rendered from Markdown: loaded with their ~2 MB of text
// and PNGs (guides.generated.ts) and markdown-it on the first /docs request, not at start-up.
import MarkdownIt from 'markdown-it';
import { GUIDE_IMAGES, GUIDES } from './guides.generated.js';

export { GUIDE_IMAGES, GUIDES };

// Raw HTML in the guides is shown as text (html: false): the docs can never inject markup.
const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
// Links between guides (`cli.md`, `docs/cli.md#x`) go to their pages here.
const defaultLink = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const href = token.attrGet('href') as string | null;
  const m = href ? /^(?:\.\/|docs\/|\.\.\/docs\/)?([a-z0-9-]+)\.md(#.*)?$/i.exec(href) : null;
  if (m && GUIDES[m[1]!] !== undefined) token.attrSet('href', `/docs/${m[1]}${m[2] ?? ''}`);
  return defaultLink(tokens, idx, options, env, self);
};

// Table alignment becomes a class: the page CSP allows no inline style attribute.
for (const rule of ['th_open', 'td_open'] as const) {
  md.renderer.rules[rule] = (tokens, idx, options, _env, self) => {
    const token = tokens[idx]!;
    const style = token.attrGet('style');
    if (style) {
      const align = /text-align:\s*(left|right|center)/.exec(String(style))?.[1];
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      if (align) token.attrJoin('class', `align-${align}`);
    }
    return self.renderToken(tokens, idx, options);
  };
}

/** The guides people look for first (seed 000's "Next Steps"), in reading order, under these titles. */
export const GUIDE_ORDER: [slug: string, title: string][] = [
  ['quickstart', 'Quick Start'], ['api-structure', 'API Structure'], ['errors', 'Error Handling'], ['rate-limits', 'Rate Limits'],
  ['scopes', 'Scopes & Permissions'], ['api-keys', 'API Keys'], ['projects', 'Projects'], ['oauth', 'OAuth'], ['mcp', 'MCP'], ['webhooks', 'Webhooks'],
];
export const MAIN_GUIDES = new Map(GUIDE_ORDER.filter(([slug]) => GUIDES[slug] !== undefined));
/** The other guides of docs/, by file name. */
export const MORE_GUIDES = Object.keys(GUIDES).filter((slug) => !MAIN_GUIDES.has(slug));

export function titleOf(slug: string): string {
  const main = MAIN_GUIDES.get(slug);
  if (main) return main;
  const m = /^#\s+(.+)$/m.exec(GUIDES[slug] ?? '');
  return m ? m[1]!.replace(/`/g, '').trim() : slug;
}

const rendered = new Map<string, string>();
export function renderGuide(slug: string): string {
  let html = rendered.get(slug);
  // Code blocks may scroll sideways: focusable, so a keyboard can scroll them too.
  if (html === undefined) rendered.set(slug, (html = md.render(GUIDES[slug] ?? '').replaceAll('<pre>', '<pre tabindex="0">')));
  return html;
}

