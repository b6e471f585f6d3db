/** Minimal HTML for the mailed links: a GET shows a form, only the POST changes state. */

/** Escapes text for HTML element content and quoted attribute values (the one escape of server-rendered pages). */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

export function verifyEmailForm(token: string, email: string): string {
  return page(
    'Verify your email address',
    `<p>Confirm that <strong>${escape(email)}</strong> is your address.</p><form method="post" action="/api/auth/verify-email"><input type="hidden" name="token" value="${escape(token)}"><button type="submit">Verify email</button></form>`,
  );
}

export function resetPasswordForm(token: string): string {
  return page(
    'Choose a new password',
    `<form method="post" action="/api/auth/reset-password"><input type="hidden" name="token" value="${escape(token)}"><label>New password <input type="password" name="newPassword" autocomplete="new-password" required></label><button type="submit">Set password</button></form>`,
  );
}

export function invalidLink(): string {
  return page('This link is no longer valid', '<p>It has expired or was already used. Ask for a new one.</p>');
}

/** True when the client prefers HTML to JSON (a browser following a mailed link). */
export function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}
