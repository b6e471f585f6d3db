import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

// Timestamps are ISO-8601 UTC strings and flags are 0/1 integers, so that one schema
// serves SQLite and PostgreSQL alike.

export interface UsersTable {
  id: string;
  email: string;
  full_name: string;
  handle: string;
  password_hash: string;
  role: string;
  is_active: number;
  email_verified_at: string | null;
  last_login_at: string | null;
  failed_sign_ins: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  plan: string;
  seats: number;
  included_credits: number;
  credit_balance: number;
  /** Start of the billing period of the last included-credits grant; NULL: the current one. */
  credits_period_start: string | null;
  /** Included credits already granted in that billing period. */
  credits_granted: number;
  created_at: string;
  updated_at: string;
}

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  kind: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  absolute_expires_at: string;
  revoked_at: string | null;
  /** Last time the user typed the password again in this session (0011). */
  reauthenticated_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  lookup_id: string;
  user_id: string;
  name: string;
  start: string;
  secret_hash: string;
  scopes: string;
  organization_id: string | null;
  enabled: number;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
  rotated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface KeyEventsTable {
  id: string;
  key_id: string;
  user_id: string;
  kind: string;
  detail: string;
  ip: string | null;
  created_at: string;
}

export interface EmailTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  purpose: string;
  email: string;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface CreditLedgerTable {
  id: string;
  organization_id: string;
  kind: string;
  amount: number;
  description: string;
  balance_after: number;
  idempotency_key: string | null;
  created_at: string;
}

export interface TeamsTable {
  id: string;
  organization_id: string;
  name: string;
  slug: string | null;
  created_at: string;
  updated_at: string;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  /** 'admin' | 'member' */
  role: string;
  created_at: string;
}

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  role: string;
  token_hash: string;
  invited_by: string | null;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface TeamKeysTable {
  id: string;
  lookup_id: string;
  team_id: string;
  organization_id: string;
  name: string;
  start: string;
  secret_hash: string;
  scopes: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
  rotated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface IntakeEventsTable {
  id: string;
  team_id: string;
  via_kind: string;
  via_id: string;
  size: number;
  payload: string;
  created_at: string;
}

/** Keys the server makes once for every instance of a database (migration 0005). */
export interface ServerKeysTable {
  name: string;
  secret: string;
  created_at: string;
}

/** One append-only audit row (migration 0009). */
export interface AuditLogTable {
  id: string;
  created_at: string;
  organization_id: string | null;
  user_id: string | null;
  actor_type: string;
  actor_id: string | null;
  credential_kind: string | null;
  credential_id: string | null;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** JSON object; never a secret. */
  detail: string;
}

/** One audited change waiting to be moved into `audit_entries` (and its event into `webhook_deliveries`). */
export interface AuditOutboxTable extends AuditLogTable {
  seq: Generated<number>;
  /** The webhook event's body, when the action is an event of an organization. */
  event: string | null;
}

export interface WebhookEndpointsTable {
  id: string;
  organization_id: string;
  url: string;
  description: string;
  /** JSON array of event types. */
  events: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: string | null;
  secret_rotated_at: string | null;
  enabled: number;
  consecutive_failures: Generated<number>;
  failing_since: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  /** Set only on relay endpoints (`acct webhooks listen`, migration 0013): deleted once past, unless a poll pushes it on. */
  relay_expires_at: string | null;
}

/** The outbox: one row per (event, endpoint) (migration 0010). */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  organization_id: string;
  message_id: string;
  event_type: string;
  /** The exact body sent: `{ type, timestamp, data }`. */
  payload: string;
  /** 'pending' | 'delivered' | 'failed' */
  status: string;
  attempts: Generated<number>;
  next_attempt_at: string | null;
  lease_until: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_duration_ms: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface OAuthClientsTable {
  id: string;
  /** `static` (acct-cli), `registered` (RFC 7591), `document` (a Client ID Metadata Document, cached). */
  kind: string;
  name: string;
  redirect_uris: string;
  grant_types: string;
  /** `none`, `client_secret_basic` or `client_secret_post`. */
  auth_method: string;
  secret_hash: string | null;
  scope: string | null;
  created_at: string;
  /** A metadata document's cache expiry. */
  expires_at: string | null;
}

export interface OAuthGrantsTable {
  id: string;
  user_id: string;
  client_id: string;
  client_name: string;
  scopes: string;
  resource: string | null;
  organization_id: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface OAuthCodesTable {
  code_hash: string;
  grant_id: string;
  redirect_uri: string;
  code_challenge: string;
  expires_at: string;
  used_at: string | null;
}

export interface OAuthTokensTable {
  id: string;
  token_hash: string;
  /** `access` or `refresh`. */
  kind: string;
  grant_id: string;
  scopes: string;
  resource: string | null;
  created_at: string;
  expires_at: string;
  /** A refresh token's rotation. */
  used_at: string | null;
  revoked_at: string | null;
}

export interface OAuthDeviceCodesTable {
  id: string;
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scopes: string;
  resource: string | null;
  interval_seconds: number;
  /** `pending`, `approved`, `denied`, `used`. */
  status: string;
  grant_id: string | null;
  created_at: string;
  expires_at: string;
  last_polled_at: string | null;
}

export interface Database {
  oauth_clients: OAuthClientsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_codes: OAuthCodesTable;
  oauth_tokens: OAuthTokensTable;
  oauth_device_codes: OAuthDeviceCodesTable;
  users: UsersTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  key_events: KeyEventsTable;
  team_keys: TeamKeysTable;
  intake_events: IntakeEventsTable;
  email_tokens: EmailTokensTable;
  projects: ProjectsTable;
  credit_ledger: CreditLedgerTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  invitations: InvitationsTable;
  server_keys: ServerKeysTable;
  /** A view: `audit_entries` and the rows of `audit_outbox` not yet moved into it. Read it; never write it. */
  audit_log: AuditLogTable;
  audit_entries: AuditLogTable;
  audit_outbox: AuditOutboxTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type KeyEventRow = Selectable<KeyEventsTable>;
export type TeamKeyRow = Selectable<TeamKeysTable>;
export type IntakeEventRow = Selectable<IntakeEventsTable>;
export type EmailTokenRow = Selectable<EmailTokensTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type LedgerRow = Selectable<CreditLedgerTable>;
export type TeamRow = Selectable<TeamsTable>;
export type TeamMemberRow = Selectable<TeamMembersTable>;
export type InvitationRow = Selectable<InvitationsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type OAuthClientRow = Selectable<OAuthClientsTable>;
export type OAuthGrantRow = Selectable<OAuthGrantsTable>;
