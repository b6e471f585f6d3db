import type { ComponentChildren, JSX } from 'preact';
import MarkdownIt from 'markdown-it';
import { openApiDocument, ROUTES, SCOPES, type RouteContract } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import { GUIDE_IMAGES, GUIDES } from './assets.generated.js';
import { Layout } from './layout.js';
import { sendPage, type PageContext } from './page.js';
import { layoutUser } from './pages/settings.js';
import type { PageRouter } from './routes.js';

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
const MAIN_GUIDES = new Map(GUIDE_ORDER.filter(([slug]) => GUIDES[slug] !== undefined));
/** The other guides of docs/, by file name. */
const MORE_GUIDES = Object.keys(GUIDES).filter((slug) => !MAIN_GUIDES.has(slug));

function titleOf(slug: string): string {
  const main = MAIN_GUIDES.get(slug);
  if (main) return main;
  const m = /^#\s+(.+)$/m.exec(GUIDES[slug] ?? '');
  return m ? m[1]!.replace(/`/g, '').trim() : slug;
}

const rendered = new Map<string, string>();
function renderGuide(slug: string): string {
  let html = rendered.get(slug);
  // Code blocks may scroll sideways: focusable, so a keyboard can scroll them too.
  if (html === undefined) rendered.set(slug, (html = md.render(GUIDES[slug] ?? '').replaceAll('<pre>', '<pre tabindex="0">')));
  return html;
}

function DocsNav(props: { current: string }): JSX.Element {
  return (
    <nav aria-label="Guides">
      <ul class="side">
        <li><a href="/docs" aria-current={props.current === '' ? 'page' : undefined}>Overview</a></li>
        {[...MAIN_GUIDES.keys()].map((slug) => <li key={slug}><a href={`/docs/${slug}`} aria-current={props.current === slug ? 'page' : undefined}>{titleOf(slug)}</a></li>)}
        <li><a href="/docs/api" aria-current={props.current === 'api' ? 'page' : undefined}>API reference</a></li>
        {MORE_GUIDES.map((slug) => <li key={slug} class="more"><a href={`/docs/${slug}`} aria-current={props.current === slug ? 'page' : undefined}>{titleOf(slug)}</a></li>)}
      </ul>
    </nav>
  );
}

function DocsFrame(props: { ctx: PageContext; title: string; current: string; children?: ComponentChildren }): JSX.Element {
  const { ctx } = props;
  return (
    <Layout heading={false} title={props.title} nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <div class="layout">
        <DocsNav current={props.current} />
        <div class="prose">{props.children}</div>
      </div>
    </Layout>
  );
}

interface Operation { summary?: string; security?: unknown[]; tags?: string[] }

/** `/docs`: the repository's guides, rendered, and the API reference from the OpenAPI document. */
export function docsPages(deps: AppDeps, pages: PageRouter): void {
  pages.get('/docs', async (ctx) => {
    sendPage(ctx, (
      <DocsFrame ctx={ctx} title="Documentation" current="">
        <h1>Documentation</h1>
        <p class="lead">Guides for the acct server, its API and its CLI. Every example in them runs in the test suite.</p>
        <h2>Guides</h2>
        <ul>
          {[...MAIN_GUIDES.keys()].map((slug) => <li key={slug}><a href={`/docs/${slug}`}>{titleOf(slug)}</a></li>)}
          <li><a href="/docs/api">API reference</a> (machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>, OpenAPI 3.1)</li>
        </ul>
        <h2>More</h2>
        <ul>{MORE_GUIDES.map((slug) => <li key={slug}><a href={`/docs/${slug}`}>{titleOf(slug)}</a></li>)}</ul>
      </DocsFrame>
    ));
  });

  pages.get('/docs/api', async (ctx) => {
    const doc = openApiDocument(ROUTES, deps.baseUrl(), deps.version) as { paths: Record<string, Record<string, Operation>> };
    const byTag = new Map<string, RouteContract[]>();
    for (const route of Object.values(ROUTES as Record<string, RouteContract>)) {
      const list = byTag.get(route.tag) ?? [];
      list.push(route);
      byTag.set(route.tag, list);
    }
    sendPage(ctx, (
      <DocsFrame ctx={ctx} title="API reference" current="api">
        <h1>API reference</h1>
        <p class="lead">{Object.keys(doc.paths).length} paths, generated from the contracts the server validates with. Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
        {[...byTag.entries()].map(([tag, routes]) => (
          <section key={tag} aria-labelledby={`tag-${tag}`}>
            <h2 id={`tag-${tag}`}>{tag}</h2>
            <div class="table-wrap">
              <table class="stacked">
                <thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Needs</th><th scope="col">What it does</th></tr></thead>
                <tbody>
                  {routes.map((r) => (
                    <tr key={`${r.method} ${r.path}`}>
                      <td data-label="Method"><code>{r.method}</code></td>
                      <td data-label="Path"><code>{r.path}</code></td>
                      <td data-label="Needs">{r.scope ? <code>{r.scope}</code> : r.auth === 'public' ? 'public' : 'session'}</td>
                      <td data-label="What it does">{r.summary}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        ))}
        <h2 id="scopes">Scopes</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Scope</th><th scope="col">Grants</th></tr></thead>
            <tbody>{Object.entries(SCOPES).map(([name, description]) => <tr key={name}><td><code>{name}</code></td><td>{description}</td></tr>)}</tbody>
          </table>
        </div>
      </DocsFrame>
    ));
  });

  pages.get('/docs/img/:name', async (ctx) => {
    const name = String(ctx.req.params['name'] ?? '');
    if (!Object.hasOwn(GUIDE_IMAGES, name)) throw new HttpError('NOT_FOUND', 'No such picture');
    ctx.res.setHeader('Cache-Control', 'public, max-age=3600');
    ctx.res.type('image/png').send(Buffer.from(GUIDE_IMAGES[name]!, 'base64'));
  });

  pages.get('/docs/:slug', async (ctx) => {
    const slug = String(ctx.req.params['slug'] ?? '');
    if (!Object.hasOwn(GUIDES, slug)) throw new HttpError('NOT_FOUND', 'No such guide');
    sendPage(ctx, (
      <DocsFrame ctx={ctx} title={titleOf(slug)} current={slug}>
        <article dangerouslySetInnerHTML={{ __html: renderGuide(slug) }} />
      </DocsFrame>
    ));
  });
}
