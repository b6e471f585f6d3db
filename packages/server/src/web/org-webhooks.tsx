import type { JSX } from 'preact';
import { ROUTES, WEBHOOK_EVENT_TYPES, type Role, type WebhookEventType } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import {
  createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, redeliverWebhook, rotateWebhookSecret, testWebhook, updateWebhook,
  type Webhook, type WebhookDelivery,
} from '../webhooks/webhooks.service.js';
import { Layout } from './layout.js';
import { field, fields, redirect, requireRole, roleAllows, roleIn, sendPage, validateForm, type PageContext } from './page.js';
import { layoutUser } from './pages/settings.js';
import { OrgNav } from './orgs.js';
import type { PageRouter } from './routes.js';
import { ActionButton, Alert, Csrf, ErrorSummary, Field, When, formErrors, type FormErrors } from './ui.js';

/** What each event type means, for the create form's checklist. */
const EVENT_HINTS: Record<string, string> = {
  api_key: 'personal API keys', member: 'members', invitation: 'invitations', project: 'projects',
  payment: 'credit top-ups', subscription: 'plan and seats', team_key: 'team keys', webhook: 'a test event sent from here',
};

const NOTICES: Record<string, string> = {
  enabled: 'The webhook is enabled: it receives events again.',
  disabled: 'The webhook is disabled: it receives nothing until enabled.',
  deleted: 'The webhook is deleted, with its pending deliveries.',
  tested: 'A webhook.test event is queued: it appears in the deliveries below.',
  redelivered: 'The delivery is queued again, with the same webhook-id.',
};

interface OrgHead { id: string; name: string; slug: string; role: Role }

function statusBadge(status: string): JSX.Element {
  const kind = status === 'active' || status === 'delivered' ? 'ok' : status === 'pending' ? '' : 'bad';
  return <span class={`badge ${kind}`}>{status}</span>;
}

function Frame(props: { ctx: PageContext; org: OrgHead; title: string; children?: JSX.Element | (JSX.Element | null)[] | null }): JSX.Element {
  const { ctx, org } = props;
  return (
    <Layout heading={false} title={`${props.title} · ${org.name}`} nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <p class="muted"><a href="/orgs">Organizations</a> / <a href={`/orgs/${org.id}`}>{org.slug}</a></p>
      <h1>{props.title}</h1>
      <OrgNav org={org} path={ctx.path} />
      {props.children}
    </Layout>
  );
}

function SecretOnce(props: { secret: string; title: string }): JSX.Element {
  return (
    <section class="alert warn" aria-labelledby="h-secret">
      <h2 id="h-secret">{props.title}</h2>
      <p><strong>Copy it now: it is shown only once.</strong> Your receiver verifies each delivery's <code>webhook-signature</code> with it.</p>
      <div class="secret">
        <code id="new-secret" aria-label="Signing secret">{props.secret}</code>
        <button type="button" class="secondary small" data-copy="new-secret" hidden>Copy</button>
      </div>
    </section>
  );
}

function WebhooksPage(props: {
  ctx: PageContext; org: OrgHead; webhooks: Webhook[]; errors?: FormErrors | undefined;
  values?: { url: string; description: string; events: string[] } | undefined; created?: (Webhook & { secret: string }) | undefined; note?: string | undefined;
}): JSX.Element {
  const { ctx, org } = props;
  const base = `/orgs/${org.id}/webhooks`;
  const canWrite = roleAllows(org.role, 'webhooks:write');
  const checked = new Set(props.values?.events ?? []);
  return (
    <Frame ctx={ctx} org={org} title="Webhooks">
      <p class="lead">Endpoints that receive this organization's events, signed as Standard Webhooks describes.</p>
      {props.note ? <Alert kind="ok"><p>{props.note}</p></Alert> : null}
      {props.created ? <SecretOnce secret={props.created.secret} title={`Signing secret of ${props.created.url}`} /> : null}
      {props.webhooks.length === 0 ? <p class="muted">No webhooks yet.</p> : (
        <div class="table-wrap">
          <table class="stacked">
            <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {props.webhooks.map((w) => (
                <tr key={w.id}>
                  <td data-label="URL"><a href={`${base}/${w.id}`}>{w.url}</a>{w.description ? <><br /><span class="muted">{w.description}</span></> : null}</td>
                  <td data-label="Events"><span class="scopes">{w.events.map((e) => <code key={e}>{e}</code>)}</span></td>
                  <td data-label="Status">{statusBadge(w.status)}</td>
                  <td data-label="Created"><When at={w.createdAt} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canWrite ? (
        <section class="card" aria-labelledby="h-new-webhook">
          <h2 id="h-new-webhook">New webhook</h2>
          <ErrorSummary errors={props.errors} />
          <form method="post" action={base} class="stack">
            <Csrf token={ctx.csrf} />
            <Field label="URL" name="url" type="url" required maxLength={2048} value={props.values?.url} hint="https only, on a public address" error={props.errors?.fields?.['url']} />
            <Field label="Description" name="description" maxLength={500} value={props.values?.description} error={props.errors?.fields?.['description']} />
            <fieldset aria-describedby={props.errors?.fields?.['events'] ? 'f-events-error' : undefined}>
              <legend>Events</legend>
              {props.errors?.fields?.['events'] ? <p class="error-text" id="f-events-error">{props.errors.fields['events']}</p> : null}
              <div class="checks">
                {WEBHOOK_EVENT_TYPES.map((e) => (
                  <div class="check" key={e}>
                    <input type="checkbox" id={`ev-${e}`} name="events" value={e} checked={checked.has(e)} />
                    <label for={`ev-${e}`}><code>{e}</code><small>{EVENT_HINTS[e.split('.')[0]!] ?? ''}</small></label>
                  </div>
                ))}
              </div>
            </fieldset>
            <div><button type="submit">Create webhook</button></div>
          </form>
        </section>
      ) : null}
    </Frame>
  );
}

function WebhookPage(props: {
  ctx: PageContext; org: OrgHead; webhook: Webhook; deliveries: WebhookDelivery[]; nextCursor: string | null;
  secret?: string | undefined; note?: string | undefined; errors?: FormErrors | undefined;
}): JSX.Element {
  const { ctx, org, webhook: w } = props;
  const base = `/orgs/${org.id}/webhooks/${w.id}`;
  const canWrite = roleAllows(org.role, 'webhooks:write');
  return (
    <Frame ctx={ctx} org={org} title="Webhook">
      <p><a href={`/orgs/${org.id}/webhooks`}>All webhooks</a></p>
      {props.note ? <Alert kind="ok"><p>{props.note}</p></Alert> : null}
      <ErrorSummary errors={props.errors} />
      {props.secret ? <SecretOnce secret={props.secret} title="New signing secret" /> : null}
      <section class="card" aria-labelledby="h-endpoint">
        <h2 id="h-endpoint">Endpoint</h2>
        <dl class="kv">
          <dt>URL</dt><dd><code>{w.url}</code></dd>
          <dt>Description</dt><dd>{w.description || <span class="muted">none</span>}</dd>
          <dt>Status</dt><dd>{statusBadge(w.status)}{w.failingSince ? <> since <When at={w.failingSince} /></> : null}</dd>
          <dt>Events</dt><dd><span class="scopes">{w.events.map((e) => <code key={e}>{e}</code>)}</span></dd>
          <dt>Secret rotated</dt><dd><When at={w.secretRotatedAt} />{w.previousSecretExpiresAt ? <> (the previous one signs too until <When at={w.previousSecretExpiresAt} />)</> : null}</dd>
          <dt>Created</dt><dd><When at={w.createdAt} /></dd>
        </dl>
        {canWrite ? (
          <div class="row">
            {w.status === 'disabled'
              ? <ActionButton action={`${base}/enable`} csrf={ctx.csrf} label="Enable" />
              : <ActionButton action={`${base}/disable`} csrf={ctx.csrf} label="Disable" confirm="Disable this webhook? It receives nothing until enabled." />}
            {w.status !== 'disabled' ? <ActionButton action={`${base}/test`} csrf={ctx.csrf} label="Send test event" /> : null}
            <ActionButton action={`${base}/rotate-secret`} csrf={ctx.csrf} label="Rotate secret" confirm="Make a new signing secret? The current one keeps signing beside it for 24 hours." />
            <ActionButton action={`${base}/delete`} csrf={ctx.csrf} label="Delete" kind="danger" confirm="Delete this webhook and its pending deliveries?" />
          </div>
        ) : null}
      </section>
      <section class="card" aria-labelledby="h-deliveries">
        <h2 id="h-deliveries">Deliveries</h2>
        {props.deliveries.length === 0 ? <p class="muted">No deliveries yet.</p> : (
          <div class="table-wrap">
            <table class="stacked">
              <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Status code</th><th scope="col">Duration</th><th scope="col">Created</th>{canWrite ? <th scope="col"><span class="sr">Actions</span></th> : null}</tr></thead>
              <tbody>
                {props.deliveries.map((d) => (
                  <tr key={d.id}>
                    <td data-label="Event"><code>{d.eventType}</code><br /><span class="muted">{d.messageId}</span></td>
                    <td data-label="Status">{statusBadge(d.status)}{d.lastError ? <><br /><span class="muted">{d.lastError}</span></> : null}</td>
                    <td data-label="Attempts">{d.attempts}</td>
                    <td data-label="Status code">{d.lastStatusCode ?? <span class="muted">none</span>}</td>
                    <td data-label="Duration">{d.lastDurationMs === null ? <span class="muted">none</span> : `${d.lastDurationMs} ms`}</td>
                    <td data-label="Created"><When at={d.createdAt} /></td>
                    {canWrite ? <td data-label="Actions">{w.status !== 'disabled' ? <ActionButton action={`${base}/deliveries/${d.id}/redeliver`} csrf={ctx.csrf} label="Redeliver" ariaLabel={`Redeliver ${d.eventType} ${d.id}`} /> : null}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {props.nextCursor ? <p class="pager"><a href={`${base}?cursor=${encodeURIComponent(props.nextCursor)}`}>Older deliveries</a></p> : null}
      </section>
    </Frame>
  );
}

/** Organization pages for webhooks: owners and admins (webhooks:read / webhooks:write); members are refused. */
export function webhookPages(deps: AppDeps, pages: PageRouter): void {
  const orgId = (ctx: PageContext) => String(ctx.req.params['organizationId'] ?? '');
  const hookId = (ctx: PageContext) => String(ctx.req.params['webhookId'] ?? '');
  const done = (ctx: PageContext) => (typeof ctx.req.query['done'] === 'string' ? NOTICES[ctx.req.query['done']] : undefined);

  async function head(ctx: PageContext, scope: 'webhooks:read' | 'webhooks:write'): Promise<OrgHead> {
    const role = await roleIn(deps, orgId(ctx), ctx.user!.id);
    requireRole(role, scope);
    const org = await deps.db.selectFrom('organizations').select(['id', 'name', 'slug']).where('id', '=', orgId(ctx)).executeTakeFirstOrThrow();
    return { ...org, role };
  }

  async function listPage(ctx: PageContext, org: OrgHead, extra: Partial<Parameters<typeof WebhooksPage>[0]> = {}, status = 200) {
    const { data } = await listWebhooks(deps, org.id, { limit: 100 });
    sendPage(ctx, <WebhooksPage ctx={ctx} org={org} webhooks={data} note={done(ctx)} {...extra} />, status);
  }

  async function detailPage(ctx: PageContext, org: OrgHead, extra: { secret?: string; errors?: FormErrors } = {}, status = 200) {
    const webhook = await getWebhook(deps, org.id, hookId(ctx));
    const cursor = typeof ctx.req.query['cursor'] === 'string' && ctx.req.query['cursor'].length <= 200 ? ctx.req.query['cursor'] : undefined;
    const { data, pagination } = await listWebhookDeliveries(deps, org.id, webhook.id, { limit: 20, cursor });
    sendPage(ctx, <WebhookPage ctx={ctx} org={org} webhook={webhook} deliveries={data} nextCursor={pagination.hasMore ? pagination.nextCursor : null} note={done(ctx)} {...extra} />, status);
  }

  pages.get('/orgs/:organizationId/webhooks', async (ctx) => listPage(ctx, await head(ctx, 'webhooks:read')), { signedIn: true });

  pages.post('/orgs/:organizationId/webhooks', async (ctx, body) => {
    const org = await head(ctx, 'webhooks:write');
    const values = { url: field(body, 'url').trim(), description: field(body, 'description'), events: fields(body, 'events') };
    try {
      // An empty checklist sends no field at all: say what to do rather than the schema's words.
      if (values.events.length === 0) throw new HttpError('VALIDATION_ERROR', 'Choose at least one event', [{ field: 'events', message: 'Choose at least one event' }]);
      const input = validateForm<{ url: string; events: WebhookEventType[]; description?: string }>(ROUTES.createWebhook, values);
      const created = await createWebhook(deps, org.id, ctx.user!.id, input);
      await listPage(ctx, org, { created }, 201);
    } catch (err) {
      await listPage(ctx, org, { errors: formErrors(err), values }, err instanceof HttpError ? err.status : 400);
    }
  }, { signedIn: true });

  pages.get('/orgs/:organizationId/webhooks/:webhookId', async (ctx) => detailPage(ctx, await head(ctx, 'webhooks:read')), { signedIn: true });

  const action = (name: string, run: (org: OrgHead, ctx: PageContext) => Promise<string | { secret: string }>) => {
    pages.post(`/orgs/:organizationId/webhooks/:webhookId/${name}`, async (ctx) => {
      const org = await head(ctx, 'webhooks:write');
      try {
        const result = await run(org, ctx);
        if (typeof result === 'string') return redirect(ctx, result);
        await detailPage(ctx, org, { secret: result.secret });
      } catch (err) {
        if (err instanceof HttpError && err.code === 'NOT_FOUND') throw err;
        await detailPage(ctx, org, { errors: formErrors(err) }, err instanceof HttpError ? err.status : 400);
      }
    }, { signedIn: true });
  };
  const back = (org: OrgHead, ctx: PageContext, what: string) => `/orgs/${org.id}/webhooks/${hookId(ctx)}?done=${what}`;
  action('enable', async (org, ctx) => (await updateWebhook(deps, org.id, hookId(ctx), { enabled: true }), back(org, ctx, 'enabled')));
  action('disable', async (org, ctx) => (await updateWebhook(deps, org.id, hookId(ctx), { enabled: false }), back(org, ctx, 'disabled')));
  action('test', async (org, ctx) => (await testWebhook(deps, org.id, hookId(ctx)), back(org, ctx, 'tested')));
  action('rotate-secret', async (org, ctx) => ({ secret: (await rotateWebhookSecret(deps, org.id, hookId(ctx))).secret }));
  action('delete', async (org, ctx) => (await deleteWebhook(deps, org.id, hookId(ctx)), `/orgs/${org.id}/webhooks?done=deleted`));
  action('deliveries/:deliveryId/redeliver', async (org, ctx) => (
    await redeliverWebhook(deps, org.id, hookId(ctx), String(ctx.req.params['deliveryId'] ?? '')), back(org, ctx, 'redelivered')
  ));
}
