import { ROUTES } from '@acct/shared/routes';
import type { DataOf, organizations } from '@acct/shared';
import type { Context } from '../context.js';
import { describeSource } from './credentials.js';
import { ApiError, UsageError } from './errors.js';
import { apiErrorFrom } from './http.js';

export type Organization = DataOf<typeof organizations.listOrganizations>[number];

/** Where the organization a command works on came from (shown in hints when it is wrong). */
export type OrgSource = 'flag' | 'env' | 'current' | 'pin' | 'only';

export interface ResolvedOrg {
  id: string;
  source: OrgSource;
  /** Known when the organization was looked up or switched to. */
  org?: Pick<Organization, 'id' | 'name' | 'slug'>;
}

// Organization ids are ULIDs (upper case); slugs are lower case, so only a slug needs a lookup.
const SLUG = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * The caller's organizations (one request; the list is not paginated). A saved key that may not
 * list them (no user:read or organizations:read) is not a dead end when a session is signed in:
 * the session lists them instead.
 */
export async function listOrganizations(ctx: Context): Promise<Organization[]> {
  const res = await ctx.api.request(ROUTES.listOrganizations);
  if (res.status === 403 && (res.credential.source === 'keychain' || res.credential.source === 'file') && (await ctx.http.credential('session')).source === 'cookie') {
    const { data } = await ctx.api.call(ROUTES.listOrganizations, { credential: 'session' });
    return data;
  }
  if (res.status < 200 || res.status >= 300) throw apiErrorFrom(res);
  return (res.json() as { data: Organization[] }).data;
}

/** The organization whose id or slug is `ref`, among `orgs`. */
export function findOrganization(orgs: Organization[], ref: string): Organization | undefined {
  return orgs.find((o) => o.id === ref) ?? orgs.find((o) => o.slug === ref.toLowerCase());
}

/** `ID  slug  name` lines for a hint listing the choices. */
export function describeChoices(orgs: Pick<Organization, 'id' | 'name' | 'slug'>[]): string {
  return orgs.map((o) => `${o.id}  ${o.slug}  ${o.name}`).join('\n      ');
}

/** The current organization saved for this host by `acct orgs switch`, if any. */
export function currentOrganization(ctx: Context) {
  return ctx.config.data.hosts[ctx.origin]?.organization;
}

/**
 * The organization a command works on: `--org` > ACCT_ORG > the current organization for the
 * host (`acct orgs switch`) > the caller's only organization; otherwise a usage error listing them.
 * `--org` and ACCT_ORG take an id or a slug.
 */
export async function resolveOrg(ctx: Context, flag: string | undefined): Promise<ResolvedOrg> {
  const explicit = flag ? { ref: flag, source: 'flag' as const } : ctx.env['ACCT_ORG'] ? { ref: ctx.env['ACCT_ORG'], source: 'env' as const } : null;
  if (explicit) {
    if (!SLUG.test(explicit.ref)) return { id: explicit.ref, source: explicit.source };
    const orgs = await listOrganizations(ctx);
    const found = findOrganization(orgs, explicit.ref);
    // Unknown here: let the server answer (a key pinned elsewhere sees only its organization).
    return found ? { id: found.id, source: explicit.source, org: found } : { id: explicit.ref, source: explicit.source };
  }
  const current = currentOrganization(ctx);
  if (current) return { id: current.id, source: 'current', org: current };

  // A saved key pinned to one organization can only act there.
  const credential = await ctx.http.credential();
  if ((credential.source === 'keychain' || credential.source === 'file') && credential.saved.organizationId)
    return { id: credential.saved.organizationId, source: 'pin' };

  let orgs: Organization[] | null = null;
  try {
    orgs = await listOrganizations(ctx);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  if (orgs?.length === 1) return { id: orgs[0]!.id, source: 'only', org: orgs[0]! };
  if (orgs && orgs.length > 1)
    throw new UsageError(
      `you belong to ${orgs.length} organizations: choose one with \`acct orgs switch ID|SLUG\`, --org ID|SLUG or ACCT_ORG`,
      describeChoices(orgs),
    );
  if (orgs) throw new UsageError('you belong to no organization: create one with `acct orgs create NAME`, or accept an invitation (`acct invitations list`)');
  throw new UsageError(
    `pass --org ID (or set ACCT_ORG): the credential in use (${describeSource(credential)}) may not list your organizations`,
    'a key needs user:read or organizations:read to list them; or sign in with `acct login` and choose one with `acct orgs switch ID|SLUG`',
  );
}

/** The name to show for a resolved organization. */
export function orgLabel(org: ResolvedOrg): string {
  return org.org ? `${org.org.name} (${org.org.slug})` : org.id;
}

/**
 * Runs `fn` in the resolved organization; a 403 ORGANIZATION_MISMATCH on the saved current
 * organization says where that choice came from, since the user did not type it.
 */
export async function inOrg<T>(ctx: Context, flag: string | undefined, fn: (org: ResolvedOrg) => Promise<T>): Promise<T> {
  const org = await resolveOrg(ctx, flag);
  try {
    return await fn(org);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'ORGANIZATION_MISMATCH' && (org.source === 'current' || org.source === 'env')) {
      const where = org.source === 'current' ? `the current organization for ${ctx.origin} (${orgLabel(org)}, set by \`acct orgs switch\`)` : `ACCT_ORG=${ctx.env['ACCT_ORG']}`;
      throw new ApiError(err.status, err.code, `${err.serverMessage} [organization from ${where}]`, err.acceptedScopes, err.requestId);
    }
    throw err;
  }
}

/** The `:organizationId` path parameter of a tenant route. */
export function orgParams(org: ResolvedOrg): { organizationId: string } {
  return { organizationId: org.id };
}
