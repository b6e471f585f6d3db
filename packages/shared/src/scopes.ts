/** The scope catalogue (API.md). A session acts with all of them; a token only with its own. */
export const SCOPES = {
  'user:read': 'Read your profile',
  'user:write': 'Change your profile',
  'organizations:read': 'List your organizations',
  'organizations:write': 'Create, rename and delete organizations',
  'projects:read': 'List and read projects',
  'projects:write': 'Create, change and delete projects',
  'members:read': 'List members and invitations',
  'members:write': 'Invite, change and remove members',
  'teams:read': 'List teams and team keys',
  'teams:write': 'Create, change and delete teams and team keys',
  'payments:read': 'Read the credit ledger',
  'payments:write': 'Record top-ups',
  'subscription:read': 'Read the plan, seats and credit balance',
  'subscription:write': 'Change the plan and seats',
  'api-keys:read': 'List and read your API keys',
  'api-keys:write': 'Change and revoke your API keys',
  'intake:write': 'Send payloads to intake webhooks',
  'webhooks:read': 'List webhook endpoints and their deliveries',
  'webhooks:write': 'Create, update, and delete webhook endpoints',
  'audit:read': "Read the organization's audit log",
} as const;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/** Organization roles, weakest last. */
export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

const MEMBER_SCOPES: Scope[] = [
  'organizations:read', 'projects:read', 'projects:write', 'members:read', 'teams:read',
  'payments:read', 'subscription:read', 'intake:write',
];
const ADMIN_SCOPES: Scope[] = [...MEMBER_SCOPES, 'members:write', 'teams:write', 'payments:write', 'webhooks:read', 'webhooks:write', 'audit:read'];
const OWNER_SCOPES: Scope[] = [...ADMIN_SCOPES, 'organizations:write', 'subscription:write'];

/** What each role may do inside its organization; a key acts with its scopes ∩ this set. */
export const ROLE_SCOPES: Record<Role, ReadonlySet<Scope>> = {
  owner: new Set(OWNER_SCOPES),
  admin: new Set(ADMIN_SCOPES),
  member: new Set(MEMBER_SCOPES),
};
