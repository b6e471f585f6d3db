import type { ComponentChildren, JSX } from 'preact';
import { ASSETS } from './assets.generated.js';

/** The URL of an embedded asset, with its content hash (cached for a year). */
export function assetUrl(name: string): string {
  const asset = ASSETS[name];
  if (!asset) throw new Error(`no asset ${name}`);
  return `/assets/${asset.hash}/${name}`;
}

export interface LayoutUser {
  fullName: string;
  email: string;
  isAdmin?: boolean;
}

export interface LayoutProps {
  title: string;
  children?: ComponentChildren;
  /** The response's CSP nonce: without it the console's script does not run (forms still work). */
  nonce?: string;
  /** The signed-in user: shows the navigation and the sign-out button. */
  user?: LayoutUser | null;
  /** The CSRF token, for the sign-out form. */
  csrf?: string;
  /** The current path, to mark the navigation entry. */
  path?: string;
  /** A small centred column (sign-in, sign-up, mailed links, consent). */
  narrow?: boolean;
  /** Show `title` as the page's h1 (default); pages with their own h1 pass false. */
  heading?: boolean;
}

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/settings/profile', label: 'Settings' },
  { href: '/orgs', label: 'Organizations' },
  { href: '/docs', label: 'Docs' },
  { href: '/admin', label: 'Admin', admin: true },
];

function current(path: string | undefined, href: string): 'page' | undefined {
  if (!path) return undefined;
  const section = href.split('/')[1];
  return path === href || (section && path.startsWith(`/${section}`)) ? 'page' : undefined;
}

/** The one layout of every console page. */
export function Layout(props: LayoutProps): JSX.Element {
  const { title, children, nonce, user, csrf, path, narrow, heading = true } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · acct`}</title>
        <link rel="stylesheet" href={assetUrl('console.css')} nonce={nonce} />
        {nonce ? <script src={assetUrl('console.js')} nonce={nonce} defer /> : null}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <div class="top-inner">
            <a class="brand" href={user ? '/settings/profile' : '/sign-in'}>acct<span>.</span></a>
            <nav aria-label="Main">
              <ul class="nav">
                {user
                  ? NAV.filter((n) => !n.admin || user.isAdmin).map((n) => (
                      <li key={n.href}><a href={n.href} aria-current={current(path, n.href)}>{n.label}</a></li>
                    ))
                  : <li><a href="/docs" aria-current={current(path, '/docs')}>Docs</a></li>}
              </ul>
            </nav>
            {user ? (
              <div class="who">
                <span>{user.email}</span>
                <form method="post" action="/sign-out">
                  <input type="hidden" name="_csrf" value={csrf ?? ''} />
                  <button type="submit" class="secondary small">Sign out</button>
                </form>
              </div>
            ) : (
              <div class="who"><a href="/sign-in">Sign in</a><a href="/sign-up">Create account</a></div>
            )}
          </div>
        </header>
        <main id="main" class={narrow ? 'narrow' : undefined}>
          {heading ? <h1>{title}</h1> : null}
          {children}
        </main>
      </body>
    </html>
  );
}
