import type { JSX } from 'preact';
import { ROUTES, validateQuery, type Role } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import { listAuditLog, type AuditEntry, type AuditQuery } from '../audit/audit-log.service.js';
import { Layout } from './layout.js';
import { requireRole, roleIn, sendPage, type PageContext } from './page.js';
import { layoutUser } from './pages/settings.js';
import { OrgNav } from './orgs.js';
import type { PageRouter } from './routes.js';
import { ErrorSummary, When, formErrors, type FormErrors } from './ui.js';

const PAGE_SIZE = 25;

interface Filters { action: string; actor: string; since: string }

function actorText(e: AuditEntry, names: Map<string, string>): string {
  if (e.actor.type === 'anonymous') return e.actor.credentialKind === 'server-command' ? 'server command' : 'anonymous';
  const who = (e.actor.id && names.get(e.actor.id)) ?? e.actor.id ?? '';
  const kind = e.actor.type === 'team_key' ? 'team key' : e.actor.type === 'oauth_client' ? 'OAuth client' : e.actor.credentialKind ?? '';
  return kind ? `${who} (${kind})` : who;
}

function AuditPage(props: {
  ctx: PageContext; org: { id: string; name: string; slug: string; role: Role }; entries: AuditEntry[]; names: Map<string, string>;
  filters: Filters; next: string | null; errors?: FormErrors | undefined;
}): JSX.Element {
  const { ctx, org, filters } = props;
  const base = `/orgs/${org.id}/audit-log`;
  const nextHref = props.next
    ? `${base}?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)), cursor: props.next }).toString()}`
    : null;
  return (
    <Layout heading={false} title={`Audit log · ${org.name}`} nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <p class="muted"><a href="/orgs">Organizations</a> / <a href={`/orgs/${org.id}`}>{org.slug}</a></p>
      <h1>Audit log</h1>
      <OrgNav org={org} path={ctx.path} />
      <p class="lead">Every security-relevant change in {org.name}, newest first.</p>
      <form method="get" action={base} class="filters" role="search" aria-label="Filter the audit log">
        <div class="field">
          <label for="f-action">Action</label>
          <input id="f-action" name="action" type="text" value={filters.action} placeholder="project.* or member.removed" maxLength={64}
            aria-invalid={props.errors?.fields?.['action'] ? 'true' : undefined} aria-describedby={props.errors?.fields?.['action'] ? 'f-action-error' : undefined} />
          {props.errors?.fields?.['action'] ? <p class="error-text" id="f-action-error">{props.errors.fields['action']}</p> : null}
        </div>
        <div class="field">
          <label for="f-actor">Actor id</label>
          <input id="f-actor" name="actor" type="text" value={filters.actor} placeholder="usr_…" maxLength={64} />
        </div>
        <div class="field">
          <label for="f-since">Since</label>
          <input id="f-since" name="since" type="date" value={filters.since}
            aria-invalid={props.errors?.fields?.['since'] ? 'true' : undefined} aria-describedby={props.errors?.fields?.['since'] ? 'f-since-error' : undefined} />
          {props.errors?.fields?.['since'] ? <p class="error-text" id="f-since-error">{props.errors.fields['since']}</p> : null}
        </div>
        <div><button type="submit">Filter</button></div>
      </form>
      <ErrorSummary errors={props.errors} />
      {props.entries.length === 0 ? <p class="muted">No entries match.</p> : (
        <div class="table-wrap">
          <table class="stacked">
            <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">IP</th></tr></thead>
            <tbody>
              {props.entries.map((e) => (
                <tr key={e.id}>
                  <td data-label="When"><When at={e.createdAt} /></td>
                  <td data-label="Action"><code class="nowrap">{e.action}</code></td>
                  <td data-label="Actor">{actorText(e, props.names)}</td>
                  <td data-label="Target">{e.target ? <>{e.target.type} <code class="nowrap">{e.target.id}</code></> : <span class="muted">none</span>}</td>
                  <td data-label="Outcome"><span class={`badge ${e.outcome === 'success' ? 'ok' : 'bad'}`}>{e.outcome}</span></td>
                  <td data-label="IP">{e.ip ?? <span class="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextHref ? <p class="pager"><a href={nextHref}>Older entries</a></p> : null}
    </Layout>
  );
}

const FILTER_HINTS: Record<string, string> = {
  action: 'Action: an action (project.deleted) or a family (project.*)',
  actor: 'Actor id: a user, team or client id',
  since: 'Since: a date such as 2026-01-31',
};

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** `/orgs/:id/audit-log`: the organization's audit log for owners and admins (audit:read), filtered and paged as the API does. */
export function auditPages(deps: AppDeps, pages: PageRouter): void {
  pages.get('/orgs/:organizationId/audit-log', async (ctx) => {
    const organizationId = String(ctx.req.params['organizationId'] ?? '');
    const role = await roleIn(deps, organizationId, ctx.user!.id);
    requireRole(role, 'audit:read');
    const org = await deps.db.selectFrom('organizations').select(['id', 'name', 'slug']).where('id', '=', organizationId).executeTakeFirstOrThrow();
    const q = ctx.req.query;
    const filters: Filters = { action: text(q['action']).slice(0, 64), actor: text(q['actor']).slice(0, 64), since: text(q['since']).slice(0, 40) };
    // The form's date (YYYY-MM-DD) is the start of that day, UTC; the API's query takes a date-time.
    const since = /^\d{4}-\d{2}-\d{2}$/.test(filters.since) ? `${filters.since}T00:00:00Z` : filters.since;
    const query: Record<string, string> = { limit: String(PAGE_SIZE) };
    if (filters.action) query['action'] = filters.action;
    if (filters.actor) query['actor'] = filters.actor;
    if (since) query['since'] = since;
    if (text(q['cursor'])) query['cursor'] = text(q['cursor']).slice(0, 200);
    let entries: AuditEntry[] = [];
    let next: string | null = null;
    let errors: FormErrors | undefined;
    const checked = validateQuery(ROUTES.listOrganizationAuditLog.query!, query);
    try {
      if (!checked.ok) throw new HttpError('VALIDATION_ERROR', 'Check the filters', checked.errors.map((e) => ({ field: e.field, message: FILTER_HINTS[e.field] ?? e.message })));
      const result = await listAuditLog(deps, { organizationId }, checked.value as AuditQuery);
      entries = result.data;
      next = result.pagination.hasMore ? result.pagination.nextCursor : null;
    } catch (err) {
      errors = formErrors(err);
    }
    const ids = [...new Set(entries.filter((e) => e.actor.type === 'user' && e.actor.id).map((e) => e.actor.id!))];
    const users = ids.length ? await deps.db.selectFrom('users').select(['id', 'email']).where('id', 'in', ids).execute() : [];
    const names = new Map(users.map((u) => [u.id, u.email]));
    sendPage(ctx, <AuditPage ctx={ctx} org={{ ...org, role }} entries={entries} names={names} filters={filters} next={next} errors={errors} />, errors ? 400 : 200);
  }, { signedIn: true });
}
