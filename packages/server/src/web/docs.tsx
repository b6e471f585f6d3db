import type { ComponentChildren, JSX } from 'preact';
import { openApiDocument, ROUTES, SCOPES, type RouteContract } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import { Layout } from './layout.js';
import { sendPage, type PageContext } from './page.js';
import { layoutUser } from './pages/settings.js';
import type { PageRouter } from './routes.js';

type Guides = typeof import('./guides.js');
let guidesModule: Promise<Guides> | undefined;
/** The guides, loaded on the first /docs request. */
function loadGuides(): Promise<Guides> {
  return (guidesModule ??= import('./guides.js'));
}

function DocsNav(props: { current: string; guides: Guides }): JSX.Element {
  const { MAIN_GUIDES, MORE_GUIDES, titleOf } = props.guides;
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

function DocsFrame(props: { ctx: PageContext; guides: Guides; title: string; current: string; children?: ComponentChildren }): JSX.Element {
  const { ctx } = props;
  return (
    <Layout heading={false} title={props.title} nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <div class="layout">
        <DocsNav current={props.current} guides={props.guides} />
        <div class="prose">{props.children}</div>
      </div>
    </Layout>
  );
}

interface Operation { summary?: string; security?: unknown[]; tags?: string[] }

/** `/docs`: the repository's guides, rendered, and the API reference from the OpenAPI document. */
export function docsPages(deps: AppDeps, pages: PageRouter): void {
  pages.get('/docs', async (ctx) => {
    const guides = await loadGuides();
    const { MAIN_GUIDES, MORE_GUIDES, titleOf } = guides;
    sendPage(ctx, (
      <DocsFrame ctx={ctx} guides={guides} title="Documentation" current="">
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
    const guides = await loadGuides();
    const doc = openApiDocument(ROUTES, deps.baseUrl(), deps.version) as { paths: Record<string, Record<string, Operation>> };
    const byTag = new Map<string, RouteContract[]>();
    for (const route of Object.values(ROUTES as Record<string, RouteContract>)) {
      const list = byTag.get(route.tag) ?? [];
      list.push(route);
      byTag.set(route.tag, list);
    }
    sendPage(ctx, (
      <DocsFrame ctx={ctx} guides={guides} title="API reference" current="api">
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
    const { GUIDE_IMAGES } = await loadGuides();
    if (!Object.hasOwn(GUIDE_IMAGES, name)) throw new HttpError('NOT_FOUND', 'No such picture');
    ctx.res.setHeader('Cache-Control', 'public, max-age=3600');
    ctx.res.type('image/png').send(Buffer.from(GUIDE_IMAGES[name]!, 'base64'));
  });

  pages.get('/docs/:slug', async (ctx) => {
    const slug = String(ctx.req.params['slug'] ?? '');
    const guides = await loadGuides();
    const { GUIDES, titleOf, renderGuide } = guides;
    if (!Object.hasOwn(GUIDES, slug)) throw new HttpError('NOT_FOUND', 'No such guide');
    sendPage(ctx, (
      <DocsFrame ctx={ctx} guides={guides} title={titleOf(slug)} current={slug}>
        <article dangerouslySetInnerHTML={{ __html: renderGuide(slug) }} />
      </DocsFrame>
    ));
  });
}
