import type { JSX } from 'preact';
import { Layout } from '../layout.js';
import type { PageContext } from '../page.js';
import { Alert, Csrf, ErrorSummary, Field, type FormErrors } from '../ui.js';

interface Base {
  ctx: PageContext;
  errors?: FormErrors | undefined;
}

export function SignInPage(props: Base & { email?: string; returnTo?: string; notice?: string | undefined }): JSX.Element {
  const { ctx, errors } = props;
  return (
    <Layout heading={false} title="Sign in" nonce={ctx.nonce} narrow path={ctx.path}>
      <h1>Sign in</h1>
      <p class="lead">to manage your account, API keys and organizations.</p>
      {props.notice ? <Alert kind="ok"><p>{props.notice}</p></Alert> : null}
      <ErrorSummary errors={errors} />
      <div class="card">
        <form method="post" action="/sign-in" class="stack">
          <Csrf token={ctx.csrf} />
          {props.returnTo ? <input type="hidden" name="return_to" value={props.returnTo} /> : null}
          <Field label="Email" name="email" type="email" autocomplete="username" required value={props.email} error={errors?.fields?.['email']} autofocus />
          <Field label="Password" name="password" type="password" autocomplete="current-password" required error={errors?.fields?.['password']} />
          <button type="submit">Sign in</button>
        </form>
      </div>
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p>New here? <a href={props.returnTo ? `/sign-up?return_to=${encodeURIComponent(props.returnTo)}` : '/sign-up'}>Create an account</a>.</p>
    </Layout>
  );
}

/** `returnTo`: the page that sent a signed-out person here (an OAuth consent, /device), kept through sign-up to the sign-in after it. */
export function SignUpPage(props: Base & { email?: string; name?: string; returnTo?: string }): JSX.Element {
  const { ctx, errors } = props;
  return (
    <Layout heading={false} title="Create account" nonce={ctx.nonce} narrow path={ctx.path}>
      <h1>Create your account</h1>
      <p class="lead">An organization of your own comes with it.</p>
      <ErrorSummary errors={errors} />
      <div class="card">
        <form method="post" action="/sign-up" class="stack">
          <Csrf token={ctx.csrf} />
          {props.returnTo ? <input type="hidden" name="return_to" value={props.returnTo} /> : null}
          <Field label="Name" name="name" autocomplete="name" required value={props.name} error={errors?.fields?.['name']} maxLength={100} autofocus />
          <Field label="Email" name="email" type="email" autocomplete="email" required value={props.email} error={errors?.fields?.['email']} />
          <Field label="Password" name="password" type="password" autocomplete="new-password" required hint={`At least ${ctx.deps.config.passwordMinLength} characters; a passphrase of a few words is best.`}
            error={errors?.fields?.['password']} />
          <button type="submit">Create account</button>
        </form>
      </div>
      <p>Have an account? <a href={props.returnTo ? `/sign-in?return_to=${encodeURIComponent(props.returnTo)}` : '/sign-in'}>Sign in</a>.</p>
    </Layout>
  );
}

export function ForgotPasswordPage(props: Base & { sent?: boolean }): JSX.Element {
  const { ctx, errors } = props;
  return (
    <Layout heading={false} title="Forgot password" nonce={ctx.nonce} narrow path={ctx.path}>
      <h1>Reset your password</h1>
      {props.sent ? (
        <Alert kind="ok"><p>If an account uses that address, a reset link is on its way. It is valid for 30 minutes, once.</p></Alert>
      ) : (
        <>
          <p class="lead">We mail you a link to choose a new password.</p>
          <ErrorSummary errors={errors} />
          <div class="card">
            <form method="post" action="/forgot-password" class="stack">
              <Csrf token={ctx.csrf} />
              <Field label="Email" name="email" type="email" autocomplete="email" required error={errors?.fields?.['email']} autofocus />
              <button type="submit">Send reset link</button>
            </form>
          </div>
        </>
      )}
      <p><a href="/sign-in">Back to sign in</a></p>
    </Layout>
  );
}

export function ResetPasswordPage(props: Base & { token: string }): JSX.Element {
  const { ctx, errors } = props;
  return (
    <Layout heading={false} title="Choose a new password" nonce={ctx.nonce} narrow path={ctx.path}>
      <h1>Choose a new password</h1>
      <p class="lead">Every session of the account signs out.</p>
      <ErrorSummary errors={errors} />
      <div class="card">
        <form method="post" action="/reset-password" class="stack">
          <Csrf token={ctx.csrf} />
          <input type="hidden" name="token" value={props.token} />
          <Field label="New password" name="newPassword" type="password" autocomplete="new-password" required error={errors?.fields?.['newPassword']} autofocus />
          <div class="check">
            <input type="checkbox" id="f-revokeKeys" name="revokeKeys" value="on" />
            <label for="f-revokeKeys">Also revoke my API keys<small>Do this if someone else may have had access.</small></label>
          </div>
          <button type="submit">Set password</button>
        </form>
      </div>
    </Layout>
  );
}

/** A mailed link's confirmation: a GET shows this form, only its POST changes anything. */
export function ConfirmLinkPage(props: Base & { title: string; text: string; action: string; token: string; button: string }): JSX.Element {
  const { ctx } = props;
  return (
    <Layout heading={false} title={props.title} nonce={ctx.nonce} narrow path={ctx.path}>
      <h1>{props.title}</h1>
      <ErrorSummary errors={props.errors} />
      <div class="card">
        <p>{props.text}</p>
        <form method="post" action={props.action}>
          <Csrf token={ctx.csrf} />
          <input type="hidden" name="token" value={props.token} />
          <button type="submit">{props.button}</button>
        </form>
      </div>
    </Layout>
  );
}

/** A page that only says something: a done form, an expired link, an error. */
export function MessagePage(props: { ctx: PageContext; title: string; kind?: 'ok' | 'error' | 'warn'; text: string; next?: { href: string; label: string } }): JSX.Element {
  const { ctx } = props;
  const user = ctx.user ? { fullName: ctx.user.full_name, email: ctx.user.email, isAdmin: ctx.user.role === 'admin' } : null;
  return (
    <Layout heading={false} title={props.title} nonce={ctx.nonce} narrow user={user} csrf={ctx.csrf} path={ctx.path}>
      <h1>{props.title}</h1>
      <Alert kind={props.kind ?? 'ok'}><p>{props.text}</p></Alert>
      {props.next ? <p><a href={props.next.href}>{props.next.label}</a></p> : null}
    </Layout>
  );
}

/** The password again, before something sensitive (the session is older than ten minutes). */
export function ReauthPage(props: Base & { returnTo: string }): JSX.Element {
  const { ctx, errors } = props;
  const user = ctx.user ? { fullName: ctx.user.full_name, email: ctx.user.email, isAdmin: ctx.user.role === 'admin' } : null;
  return (
    <Layout heading={false} title="Confirm your password" nonce={ctx.nonce} narrow user={user} csrf={ctx.csrf} path={ctx.path}>
      <h1>Confirm your password</h1>
      <p class="lead">You signed in more than ten minutes ago. Type your password to go on.</p>
      <ErrorSummary errors={errors} />
      <div class="card">
        <form method="post" action="/reauthenticate" class="stack">
          <Csrf token={ctx.csrf} />
          <input type="hidden" name="return_to" value={props.returnTo} />
          <Field label="Password" name="password" type="password" autocomplete="current-password" required error={errors?.fields?.['password']} autofocus />
          <button type="submit">Confirm password</button>
        </form>
      </div>
    </Layout>
  );
}
