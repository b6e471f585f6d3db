import type { ComponentChildren, JSX } from 'preact';

/** The page frame every server-rendered page shares (the web console's pages and the OAuth pages). */
export function Layout(props: { title: string; children?: ComponentChildren; nonce?: string }): JSX.Element {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · acct`}</title>
        <style nonce={props.nonce}>{'body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}button{margin-right:.5rem}.warning{border-left:4px solid #b58900;padding-left:.75rem}'}</style>
      </head>
      <body>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}
