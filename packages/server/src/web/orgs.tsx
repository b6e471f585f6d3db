import type { JSX } from 'preact';
import { ROLE_SCOPES, ROLES, ROUTES, SCOPES, type Role, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import { HttpError } from '../http/http-error.js';
import { createOrganization } from '../orgs/orgs.service.js';
import { createProject } from '../projects/projects.service.js';
import { createTeam, findTeam } from '../teams/teams.service.js';
import { createInvitation, invitationStatus, revokeInvitation } from '../invitations/invitations.service.js';
import { readSubscription } from '../billing/subscription.service.js';
import { inviteProblem, removalProblem, roleChangeProblem } from '../members/role-rules.js';
import { removeMembership, setRole } from '../members/members.service.js';
import { findMember } from '../members/members.repository.js';
import { createTeamKey, requireTeamAdmin, revokeTeamKey, toTeamKey } from '../keys/team-keys.service.js';
import { Layout } from './layout.js';
import { field, fields, redirect, requireRole, roleAllows, roleIn, sendPage, validateForm, type PageContext } from './page.js';
import { layoutUser } from './pages/settings.js';
import type { PageRouter } from './routes.js';
import { ActionButton, Alert, Csrf, ErrorSummary, Field, When, formErrors, type FormErrors } from './ui.js';

type Section = 'projects' | 'invite' | 'teams' | `team-key:${string}`;

interface OrgView {
  id: string;
  name: string;
  slug: string;
  plan: string;
  seats: number;
  creditBalance: number;
  role: Role;
  projects: { id: string; name: string; description: string; createdAt: string }[];
  members: { id: string; email: string; fullName: string; role: string }[];
  invitations: { id: string; email: string; role: string; expiresAt: string }[];
  teams: { id: string; name: string; keys: ReturnType<typeof toTeamKey>[] }[];
  ledger: { id: string; kind: string; amount: number; description: string; balanceAfter: number; createdAt: string }[];
}

const TEAM_KEY_SCOPES = [...ROLE_SCOPES.member] as Scope[];

function OrgsListPage(props: { ctx: PageContext; orgs: { id: string; name: string; role: string }[]; errors?: FormErrors | undefined }): JSX.Element {
  const { ctx } = props;
  return (
    <Layout heading={false} title="Organizations" nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <h1>Organizations</h1>
      <div class="table-wrap">
        <table class="stacked">
          <thead><tr><th scope="col">Name</th><th scope="col">Your role</th></tr></thead>
          <tbody>
            {props.orgs.map((o) => <tr key={o.id}><td data-label="Name"><a href={`/orgs/${o.id}`}>{o.name}</a></td><td data-label="Your role">{o.role}</td></tr>)}
          </tbody>
        </table>
      </div>
      <section class="card" aria-labelledby="h-new-org">
        <h2 id="h-new-org">New organization</h2>
        <ErrorSummary errors={props.errors} />
        <form method="post" action="/orgs" class="row">
          <Csrf token={ctx.csrf} />
          <Field label="Name" name="name" required maxLength={100} error={props.errors?.fields?.['name']} />
          <div><button type="submit">Create organization</button></div>
        </form>
      </section>
    </Layout>
  );
}

/** The organization's sub-pages; webhooks and the audit log only for the roles that may read them. */
export function OrgNav(props: { org: { id: string; role: Role }; path: string }): JSX.Element {
  const base = `/orgs/${props.org.id}`;
  const items: [string, string][] = [[base, 'Overview']];
  if (roleAllows(props.org.role, 'webhooks:read')) items.push([`${base}/webhooks`, 'Webhooks']);
  if (roleAllows(props.org.role, 'audit:read')) items.push([`${base}/audit-log`, 'Audit log']);
  return (
    <nav aria-label="Organization">
      <ul class="tabs">
        {items.map(([href, label]) => <li key={href}><a href={href} aria-current={props.path === href || (href !== base && props.path.startsWith(`${href}/`)) ? 'page' : undefined}>{label}</a></li>)}
      </ul>
    </nav>
  );
}

function OrgPage(props: { ctx: PageContext; org: OrgView; section?: Section; errors?: FormErrors | undefined; newKey?: { team: string; name: string; key: string } | undefined; note?: string | undefined }): JSX.Element {
  const { ctx, org } = props;
  const errorsOf = (s: Section) => (props.section === s ? props.errors : undefined);
  const base = `/orgs/${org.id}`;
  const canProjects = roleAllows(org.role, 'projects:write');
  const canMembers = roleAllows(org.role, 'members:write');
  const canTeams = roleAllows(org.role, 'teams:write');
  return (
    <Layout heading={false} title={org.name} nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <p class="muted"><a href="/orgs">Organizations</a> / {org.slug}</p>
      <h1>{org.name}</h1>
      <p class="lead">You are {org.role === 'admin' ? 'an' : 'a'} <strong>{org.role}</strong> here.</p>
      <OrgNav org={org} path={ctx.path} />
      {props.note ? <Alert kind="ok"><p>{props.note}</p></Alert> : null}
      {props.newKey ? (
        <section class="alert warn" aria-labelledby="h-new-team-key">
          <h2 id="h-new-team-key">Team key {props.newKey.name} for {props.newKey.team}</h2>
          <p><strong>Copy it now: it is shown only once.</strong></p>
          <div class="secret">
            <code id="new-key" aria-label="New team key">{props.newKey.key}</code>
            <button type="button" class="secondary small" data-copy="new-key" hidden>Copy</button>
          </div>
        </section>
      ) : null}

      <section class="card" aria-labelledby="h-projects">
        <h2 id="h-projects">Projects</h2>
        {org.projects.length === 0 ? <p class="muted">No projects yet.</p> : (
          <ul>{org.projects.map((p) => <li key={p.id}><strong>{p.name}</strong>{p.description ? ` — ${p.description}` : ''} <span class="muted">(<When at={p.createdAt} />)</span></li>)}</ul>
        )}
        {canProjects ? (
          <>
            <ErrorSummary errors={errorsOf('projects')} />
            <form method="post" action={`${base}/projects`} class="row">
              <Csrf token={ctx.csrf} />
              <Field label="Project name" id="f-project-name" name="name" required maxLength={100} error={errorsOf('projects')?.fields?.['name']} />
              <div><button type="submit">Create project</button></div>
            </form>
          </>
        ) : null}
      </section>

      <section class="card" aria-labelledby="h-members">
        <h2 id="h-members">Members</h2>
        <div class="table-wrap">
          <table class="stacked">
            <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th>{canMembers ? <th scope="col"><span class="sr">Actions</span></th> : null}</tr></thead>
            <tbody>
              {org.members.map((m) => (
                <tr key={m.id}>
                  <td data-label="Name">{m.fullName}</td>
                  <td data-label="Email">{m.email}</td>
                  <td data-label="Role">
                    {canMembers && m.id !== ctx.user!.id ? (
                      <form method="post" action={`${base}/members/${m.id}/role`} class="row">
                        <Csrf token={ctx.csrf} />
                        <select name="role" aria-label={`Role of ${m.email}`}>{ROLES.map((r) => <option key={r} value={r} selected={r === m.role}>{r}</option>)}</select>
                        <button type="submit" class="small secondary" aria-label={`Change role of ${m.email}`}>Change role</button>
                      </form>
                    ) : m.role}
                  </td>
                  {canMembers ? (
                    <td data-label="Actions">
                      {m.id !== ctx.user!.id ? <ActionButton action={`${base}/members/${m.id}/remove`} csrf={ctx.csrf} label="Remove" kind="danger" ariaLabel={`Remove ${m.email}`} confirm={`Remove ${m.email} from ${org.name}?`} /> : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3>Invitations</h3>
        {org.invitations.length === 0 ? <p class="muted">No pending invitations.</p> : (
          <ul class="items">
            {org.invitations.map((i) => (
              <li key={i.id}>
                <span>{i.email} as {i.role}, until <When at={i.expiresAt} /></span>
                {canMembers ? <ActionButton action={`${base}/invitations/${i.id}/revoke`} csrf={ctx.csrf} label="Revoke" kind="danger" ariaLabel={`Revoke the invitation of ${i.email}`} confirm={`Revoke the invitation of ${i.email}? Its link stops working.`} /> : null}
              </li>
            ))}
          </ul>
        )}
        {canMembers ? (
          <>
            <ErrorSummary errors={errorsOf('invite')} />
            <form method="post" action={`${base}/invitations`} class="row">
              <Csrf token={ctx.csrf} />
              <Field label="Email" id="f-invite-email" name="email" type="email" required error={errorsOf('invite')?.fields?.['email']} />
              <div class="field">
                <label for="f-invite-role">Role</label>
                <select id="f-invite-role" name="role">{ROLES.map((r) => <option key={r} value={r} selected={r === 'member'}>{r}</option>)}</select>
              </div>
              <div><button type="submit">Invite</button></div>
            </form>
          </>
        ) : null}
      </section>

      <section class="card" aria-labelledby="h-teams">
        <h2 id="h-teams">Teams and team keys</h2>
        {org.teams.length === 0 ? <p class="muted">No teams yet.</p> : null}
        {org.teams.map((t) => (
          <div key={t.id}>
            <h3 id={`team-${t.id}`}>{t.name}</h3>
            {t.keys.length === 0 ? <p class="muted">No keys.</p> : (
              <div class="table-wrap">
                <table class="stacked">
                  <thead><tr><th scope="col">Key</th><th scope="col">Start</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
                  <tbody>
                    {t.keys.map((k) => (
                      <tr key={k.id}>
                        <td data-label="Key">{k.name}</td>
                        <td data-label="Start"><code class="nowrap">{k.start}…</code></td>
                        <td data-label="Scopes"><span class="scopes">{k.scopes.map((s) => <code key={s}>{s}</code>)}</span></td>
                        <td data-label="Last used"><When at={k.lastUsedAt} /></td>
                        <td data-label="Status"><span class={`badge ${k.status === 'active' ? 'ok' : 'bad'}`}>{k.status}</span></td>
                        <td data-label="Actions">{k.status === 'active' && canTeams ? <ActionButton action={`${base}/teams/${t.id}/keys/${k.id}/revoke`} csrf={ctx.csrf} label="Revoke" kind="danger" confirm={`Revoke ${k.name}?`} /> : null}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {canTeams ? (
              <details open={props.section === `team-key:${t.id}`}>
                <summary>New key for {t.name}</summary>
                <ErrorSummary errors={errorsOf(`team-key:${t.id}`)} />
                <form method="post" action={`${base}/teams/${t.id}/keys`} class="stack">
                  <Csrf token={ctx.csrf} />
                  <Field label="Name" id={`f-tk-name-${t.id}`} name="name" required maxLength={100} />
                  <fieldset>
                    <legend>Scopes</legend>
                    <div class="checks">
                      {TEAM_KEY_SCOPES.map((s) => (
                        <div class="check" key={s}>
                          <input type="checkbox" id={`tk-${t.id}-${s}`} name="scopes" value={s} />
                          <label for={`tk-${t.id}-${s}`}><code>{s}</code><small>{SCOPES[s]}</small></label>
                        </div>
                      ))}
                    </div>
                  </fieldset>
                  <div><button type="submit">Create key</button></div>
                </form>
              </details>
            ) : null}
          </div>
        ))}
        {canTeams ? (
          <>
            <ErrorSummary errors={errorsOf('teams')} />
            <form method="post" action={`${base}/teams`} class="row">
              <Csrf token={ctx.csrf} />
              <Field label="Team name" id="f-team-name" name="name" required maxLength={100} error={errorsOf('teams')?.fields?.['name']} />
              <div><button type="submit">Create team</button></div>
            </form>
          </>
        ) : null}
      </section>

      <section class="card" aria-labelledby="h-billing">
        <h2 id="h-billing">Credits and plan</h2>
        <p>Plan <strong>{org.plan}</strong>, {org.seats} seats. Balance: <strong id="credit-balance">{org.creditBalance}</strong> credits.</p>
        {org.ledger.length > 0 ? (
          <div class="table-wrap">
            <table class="stacked">
              <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Amount</th><th scope="col">Balance</th></tr></thead>
              <tbody>
                {org.ledger.map((e) => (
                  <tr key={e.id}><td data-label="When"><When at={e.createdAt} /></td><td data-label="What">{e.description}</td><td data-label="Amount">{e.kind === 'debit' ? `−${Math.abs(e.amount)}` : `+${e.amount}`}</td><td data-label="Balance">{e.balanceAfter}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </Layout>
  );
}

async function loadOrg(deps: AppDeps, organizationId: string, userId: string): Promise<OrgView> {
  const role = await roleIn(deps, organizationId, userId);
  const org = await deps.db.selectFrom('organizations').selectAll().where('id', '=', organizationId).executeTakeFirstOrThrow();
  // Plan, seats and balance as GET …/subscription answers them (one code path, whatever it computes).
  const subscription = await readSubscription(deps, organizationId);
  const now = deps.clock.now();
  const [projects, members, invitations, teams, ledger] = await Promise.all([
    deps.db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).orderBy('id', 'desc').limit(50).execute(),
    deps.db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.full_name', 'memberships.role']).where('memberships.organization_id', '=', organizationId).orderBy('users.email').limit(200).execute(),
    deps.db.selectFrom('invitations').selectAll().where('organization_id', '=', organizationId).orderBy('id', 'desc').limit(50).execute(),
    deps.db.selectFrom('teams').selectAll().where('organization_id', '=', organizationId).orderBy('name').limit(50).execute(),
    deps.db.selectFrom('credit_ledger').selectAll().where('organization_id', '=', organizationId).orderBy('id', 'desc').limit(10).execute(),
  ]);
  const keys = teams.length
    ? await deps.db.selectFrom('team_keys').selectAll().where('team_id', 'in', teams.map((t) => t.id)).orderBy('id', 'desc').execute()
    : [];
  return {
    id: org.id, name: org.name, slug: org.slug, plan: subscription.plan, seats: subscription.seats, creditBalance: subscription.creditBalance, role,
    projects: projects.map((p) => ({ id: p.id, name: p.name, description: p.description, createdAt: p.created_at })),
    members: members.map((m) => ({ id: m.id, email: m.email, fullName: m.full_name, role: m.role })),
    invitations: invitations.filter((i) => invitationStatus(i, now) === 'pending').map((i) => ({ id: i.id, email: i.email, role: i.role, expiresAt: i.expires_at })),
    teams: teams.map((t) => ({ id: t.id, name: t.name, keys: keys.filter((k) => k.team_id === t.id).map((k) => toTeamKey(k, now)) })),
    ledger: ledger.map((e) => ({ id: e.id, kind: e.kind, amount: e.amount, description: e.description, balanceAfter: e.balance_after, createdAt: e.created_at })),
  };
}

const ORG_NOTICES: Record<string, string> = {
  'role-changed': 'The role is changed.',
  'member-removed': 'The member is removed: their keys stop working for this organization.',
  'project-created': 'Project created.',
  'invited': 'Invitation sent.',
  'team-created': 'Team created.',
  'team-key-revoked': 'The team key is revoked: it stops working at once.',
  'invitation-revoked': 'The invitation is revoked: its link no longer works.',
};

/** Organization pages: projects, members and invitations, teams and team keys, credits. */
export function orgPages(deps: AppDeps, pages: PageRouter): void {
  const orgId = (ctx: PageContext) => String(ctx.req.params['organizationId'] ?? '');

  async function show(ctx: PageContext, extra: { section?: Section; errors?: FormErrors; newKey?: { team: string; name: string; key: string }; status?: number } = {}) {
    const org = await loadOrg(deps, orgId(ctx), ctx.user!.id);
    const done = typeof ctx.req.query['done'] === 'string' ? ORG_NOTICES[ctx.req.query['done']] : undefined;
    sendPage(ctx, <OrgPage ctx={ctx} org={org} section={extra.section} errors={extra.errors} newKey={extra.newKey} note={done} />, extra.status);
  }

  async function listPage(ctx: PageContext, errors?: FormErrors, status?: number) {
    const rows = await deps.db.selectFrom('memberships').innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
      .select(['organizations.id', 'organizations.name', 'memberships.role']).where('memberships.user_id', '=', ctx.user!.id).orderBy('organizations.name').execute();
    sendPage(ctx, <OrgsListPage ctx={ctx} orgs={rows} errors={errors} />, status);
  }

  pages.get('/orgs', (ctx) => listPage(ctx), { signedIn: true });

  pages.post('/orgs', async (ctx, body) => {
    try {
      const input = validateForm<{ name: string }>(ROUTES.createOrganization, { name: field(body, 'name') });
      const row = await deps.db.transaction().execute((trx) => createOrganization(trx, { name: input.name.trim(), ownerId: ctx.user!.id, now: deps.clock.now() }));
      redirect(ctx, `/orgs/${row.id}`);
    } catch (err) {
      const e = isUniqueViolation(err) ? new HttpError('CONFLICT', 'An organization with a similar name was created at the same moment; try again') : err;
      await listPage(ctx, formErrors(e), e instanceof HttpError ? e.status : 400);
    }
  }, { signedIn: true });

  pages.get('/orgs/:organizationId', (ctx) => show(ctx), { signedIn: true });

  pages.post('/orgs/:organizationId/projects', async (ctx, body) => {
    try {
      requireRole(await roleIn(deps, orgId(ctx), ctx.user!.id), 'projects:write');
      const input = validateForm<{ name: string }>(ROUTES.createProject, { name: field(body, 'name') });
      await createProject(deps, orgId(ctx), input);
      redirect(ctx, `/orgs/${orgId(ctx)}?done=project-created`);
    } catch (err) {
      await show(ctx, { section: 'projects', errors: formErrors(err), status: err instanceof HttpError ? err.status : 400 });
    }
  }, { signedIn: true });

  pages.post('/orgs/:organizationId/invitations', async (ctx, body) => {
    try {
      const role = await roleIn(deps, orgId(ctx), ctx.user!.id);
      requireRole(role, 'members:write');
      const input = validateForm<{ email: string; role: Role }>(ROUTES.inviteMember, { email: field(body, 'email'), role: field(body, 'role') });
      const problem = inviteProblem(role, input.role);
      if (problem) throw new HttpError('FORBIDDEN', problem);
      await createInvitation(deps, { organizationId: orgId(ctx), email: input.email, role: input.role, invitedBy: ctx.user! });
      redirect(ctx, `/orgs/${orgId(ctx)}?done=invited`);
    } catch (err) {
      await show(ctx, { section: 'invite', errors: formErrors(err), status: err instanceof HttpError ? err.status : 400 });
    }
  }, { signedIn: true });

  pages.post('/orgs/:organizationId/invitations/:invitationId/revoke', async (ctx) => {
    try {
      const role = await roleIn(deps, orgId(ctx), ctx.user!.id);
      requireRole(role, 'members:write');
      await revokeInvitation(deps, { organizationId: orgId(ctx), role, invitationId: String(ctx.req.params['invitationId'] ?? '') });
      redirect(ctx, `/orgs/${orgId(ctx)}?done=invitation-revoked`);
    } catch (err) {
      if (err instanceof HttpError && err.code === 'NOT_FOUND') throw err;
      await show(ctx, { section: 'invite', errors: formErrors(err), status: err instanceof HttpError ? err.status : 400 });
    }
  }, { signedIn: true });

  async function member(ctx: PageContext) {
    const role = await roleIn(deps, orgId(ctx), ctx.user!.id);
    requireRole(role, 'members:write');
    const existing = await findMember(deps.db, orgId(ctx), String(ctx.req.params['userId'] ?? ''));
    if (!existing) throw new HttpError('NOT_FOUND', 'No such member in this organization');
    return { role, existing };
  }

  pages.post('/orgs/:organizationId/members/:userId/role', async (ctx, body) => {
    const { role, existing } = await member(ctx);
    const next = validateForm<{ role: Role }>(ROUTES.updateMember, { role: field(body, 'role') }).role;
    const problem = roleChangeProblem(role, existing.role as Role, next);
    if (problem) throw new HttpError('FORBIDDEN', problem);
    if (existing.role !== next) await setRole(deps.db, orgId(ctx), existing.user_id, next);
    redirect(ctx, `/orgs/${orgId(ctx)}?done=role-changed`);
  }, { signedIn: true });

  pages.post('/orgs/:organizationId/members/:userId/remove', async (ctx) => {
    const { role, existing } = await member(ctx);
    const problem = removalProblem(role, existing.role as Role);
    if (problem) throw new HttpError('FORBIDDEN', problem);
    await removeMembership(deps.db, orgId(ctx), existing.user_id);
    redirect(ctx, `/orgs/${orgId(ctx)}?done=member-removed`);
  }, { signedIn: true });

  pages.post('/orgs/:organizationId/teams', async (ctx, body) => {
    try {
      requireRole(await roleIn(deps, orgId(ctx), ctx.user!.id), 'teams:write');
      const input = validateForm<{ name: string }>(ROUTES.createTeam, { name: field(body, 'name') });
      await createTeam(deps, orgId(ctx), input);
      redirect(ctx, `/orgs/${orgId(ctx)}?done=team-created`);
    } catch (err) {
      await show(ctx, { section: 'teams', errors: formErrors(err), status: err instanceof HttpError ? err.status : 400 });
    }
  }, { signedIn: true });

  pages.post('/orgs/:organizationId/teams/:teamId/keys', async (ctx, body) => {
    const teamId = String(ctx.req.params['teamId'] ?? '');
    try {
      const role = await roleIn(deps, orgId(ctx), ctx.user!.id);
      const team = await findTeam(deps.db, orgId(ctx), teamId);
      await requireTeamAdmin(deps.db, { teamId: team.id, userId: ctx.user!.id, orgRole: role });
      const input = validateForm<{ name: string; scopes: Scope[] }>(ROUTES.createTeamKey, { name: field(body, 'name'), scopes: fields(body, 'scopes') });
      const { key } = await createTeamKey(deps, { organizationId: orgId(ctx), teamId: team.id, createdBy: ctx.user!.id, name: input.name, scopes: input.scopes, expiresIn: null });
      await show(ctx, { newKey: { team: team.name, name: input.name, key }, status: 201 });
    } catch (err) {
      if (err instanceof HttpError && err.code === 'NOT_FOUND') throw err;
      await show(ctx, { section: `team-key:${teamId}`, errors: formErrors(err), status: err instanceof HttpError ? err.status : 400 });
    }
  }, { signedIn: true });

  pages.post('/orgs/:organizationId/teams/:teamId/keys/:keyId/revoke', async (ctx) => {
    const role = await roleIn(deps, orgId(ctx), ctx.user!.id);
    const team = await findTeam(deps.db, orgId(ctx), String(ctx.req.params['teamId'] ?? ''));
    await requireTeamAdmin(deps.db, { teamId: team.id, userId: ctx.user!.id, orgRole: role });
    await revokeTeamKey(deps, team.id, String(ctx.req.params['keyId'] ?? ''));
    redirect(ctx, `/orgs/${orgId(ctx)}?done=team-key-revoked`);
  }, { signedIn: true });

}
