import type { ComponentChildren, JSX } from 'preact';
import { HttpError } from '../http/http-error.js';

/** Errors of one form: a summary and a message per field (tied by aria-describedby). */
export interface FormErrors {
  message?: string;
  fields?: Record<string, string>;
}

/**
 * A thrown HttpError as form errors: its `errors[]` by field. `labels` maps an API field name to
 * the form's field and its label, so "newPassword is too short" reads "New password is too short".
 */
export function formErrors(err: unknown, labels: Record<string, [string, string]> = {}): FormErrors {
  if (!(err instanceof HttpError)) throw err;
  const fields: Record<string, string> = {};
  for (const e of err.errors ?? []) {
    const [name, label] = labels[e.field] ?? [e.field, e.field];
    fields[name] = e.message.startsWith(e.field) ? label + e.message.slice(e.field.length) : e.message;
  }
  let message = err.message;
  for (const [apiField, [, label]] of Object.entries(labels)) if (message.startsWith(apiField)) message = label + message.slice(apiField.length);
  return { message, fields };
}

export function Csrf(props: { token: string }): JSX.Element {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

export interface FieldProps {
  label: string;
  name: string;
  type?: 'text' | 'email' | 'password' | 'number' | 'search' | 'url' | 'date';
  value?: string;
  hint?: string;
  error?: string | undefined;
  autocomplete?: string;
  required?: boolean;
  autofocus?: boolean;
  id?: string;
  maxLength?: number;
}

/** A labelled input; its hint and error are announced with it. */
export function Field(props: FieldProps): JSX.Element {
  const id = props.id ?? `f-${props.name}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id} name={props.name} type={(props.type ?? 'text') as 'text'} value={props.value}
        autocomplete={props.autocomplete} required={props.required} autofocus={props.autofocus} maxLength={props.maxLength}
        aria-invalid={props.error ? 'true' : undefined} aria-describedby={described || undefined}
      />
      {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      {props.error ? <p class="error-text" id={`${id}-error`}>{props.error}</p> : null}
    </div>
  );
}

export function Alert(props: { kind: 'error' | 'ok' | 'warn'; children?: ComponentChildren; title?: string }): JSX.Element {
  return (
    <div class={`alert ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.title ? <p><strong>{props.title}</strong></p> : null}
      {props.children}
    </div>
  );
}

export function ErrorSummary(props: { errors?: FormErrors | undefined }): JSX.Element | null {
  if (!props.errors?.message) return null;
  return <Alert kind="error"><p>{props.errors.message}</p></Alert>;
}

/** A one-button form (revoke, enable, …) posting `fields` with the CSRF token. */
export function ActionButton(props: {
  action: string; csrf: string; label: string; fields?: Record<string, string>; kind?: 'danger' | 'secondary'; confirm?: string; ariaLabel?: string;
}): JSX.Element {
  return (
    <form method="post" action={props.action} class="inline">
      <input type="hidden" name="_csrf" value={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => <input key={name} type="hidden" name={name} value={value} />)}
      <button type="submit" class={`small ${props.kind ?? 'secondary'}`} data-confirm={props.confirm} aria-label={props.ariaLabel}>{props.label}</button>
    </form>
  );
}

/** A timestamp as a short UTC text, in a <time> element. */
export function When(props: { at: string | null | undefined; never?: string }): JSX.Element {
  if (!props.at) return <span class="muted">{props.never ?? 'never'}</span>;
  const text = props.at.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  return <time dateTime={props.at}>{text}</time>;
}

/** The settings pages' side navigation. */
export function SettingsNav(props: { path: string }): JSX.Element {
  const items = [
    ['/settings/profile', 'Profile'],
    ['/settings/api-keys', 'API Keys'],
    ['/settings/sessions', 'Sessions'],
  ] as const;
  return (
    <nav aria-label="Settings">
      <ul class="side">
        {items.map(([href, label]) => <li key={href}><a href={href} aria-current={props.path === href || props.path.startsWith(`${href}/`) ? 'page' : undefined}>{label}</a></li>)}
      </ul>
    </nav>
  );
}
