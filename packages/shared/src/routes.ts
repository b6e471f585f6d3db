import type { HttpMethod } from './contract.js';
import type { RouteName } from './contracts/index.js';

/**
 * Every route's name, method and path template as plain data: what a client needs at run time to
 * call a contract, without TypeBox or the schemas (loading the whole package costs a CLI command
 * more than its own work). The CLI imports it as `@acct/shared/routes` and takes each call's
 * params, body, query and answer types from the contract of the same name (`typeof ROUTES` in
 * contracts/index.ts), so a call cannot drift from its route. A route added to the contracts is
 * added here too when a client calls it; packages/cli/test/api.test.ts checks that every entry
 * equals its contract's method and path.
 */
export interface RouteRef<N extends RouteName = RouteName> {
  readonly name: N;
  readonly method: HttpMethod;
  /** Express-style, `:param` for parameters (as the contract's `path`). */
  readonly path: string;
}

const ref = <N extends RouteName>(name: N, method: HttpMethod, path: string): RouteRef<N> => ({ name, method, path });

export const ROUTES = {
  signUp: ref('signUp', 'POST', '/api/auth/sign-up/email'),
  signIn: ref('signIn', 'POST', '/api/auth/sign-in/email'),
  login: ref('login', 'POST', '/api/auth/login'),
  signOut: ref('signOut', 'POST', '/api/auth/sign-out'),
  getSession: ref('getSession', 'GET', '/api/auth/get-session'),
  verifyEmailPage: ref('verifyEmailPage', 'GET', '/api/auth/verify-email'),
  verifyEmail: ref('verifyEmail', 'POST', '/api/auth/verify-email'),
  sendVerificationEmail: ref('sendVerificationEmail', 'POST', '/api/auth/send-verification-email'),
  requestPasswordReset: ref('requestPasswordReset', 'POST', '/api/auth/request-password-reset'),
  resetPasswordPage: ref('resetPasswordPage', 'GET', '/api/auth/reset-password'),
  resetPassword: ref('resetPassword', 'POST', '/api/auth/reset-password'),
  changePassword: ref('changePassword', 'POST', '/api/auth/change-password'),
  listSessions: ref('listSessions', 'GET', '/api/auth/list-sessions'),
  revokeSession: ref('revokeSession', 'POST', '/api/auth/revoke-session'),
  revokeOtherSessions: ref('revokeOtherSessions', 'POST', '/api/auth/revoke-other-sessions'),
  createApiKey: ref('createApiKey', 'POST', '/api/auth/api-key/create'),
  listApiKeys: ref('listApiKeys', 'GET', '/api/auth/api-key/list'),
  getApiKey: ref('getApiKey', 'GET', '/api/auth/api-key/get'),
  updateApiKey: ref('updateApiKey', 'POST', '/api/auth/api-key/update'),
  deleteApiKey: ref('deleteApiKey', 'POST', '/api/auth/api-key/delete'),
  rotateApiKey: ref('rotateApiKey', 'POST', '/api/auth/api-key/rotate'),
  reportLeakedKey: ref('reportLeakedKey', 'POST', '/api/auth/api-key/report-leak'),
  listScopes: ref('listScopes', 'GET', '/api/auth/scopes'),
  getRateLimits: ref('getRateLimits', 'GET', '/api/auth/rate-limits'),
  createTeamKey: ref('createTeamKey', 'POST', '/api/user/organizations/:organizationId/teams/:teamId/keys'),
  listTeamKeys: ref('listTeamKeys', 'GET', '/api/user/organizations/:organizationId/teams/:teamId/keys'),
  revokeTeamKey: ref('revokeTeamKey', 'POST', '/api/user/organizations/:organizationId/teams/:teamId/keys/:keyId/revoke'),
  rotateTeamKey: ref('rotateTeamKey', 'POST', '/api/user/organizations/:organizationId/teams/:teamId/keys/:keyId/rotate'),
  receiveIntake: ref('receiveIntake', 'POST', '/api/intake/:teamId'),
  listIntake: ref('listIntake', 'GET', '/api/user/organizations/:organizationId/teams/:teamId/intake'),
  getMe: ref('getMe', 'GET', '/api/user/me'),
  updateMe: ref('updateMe', 'PATCH', '/api/user/me'),
  listOrganizations: ref('listOrganizations', 'GET', '/api/user/organizations'),
  createOrganization: ref('createOrganization', 'POST', '/api/user/organizations'),
  listProjects: ref('listProjects', 'GET', '/api/user/organizations/:organizationId/projects'),
  createProject: ref('createProject', 'POST', '/api/user/organizations/:organizationId/projects'),
  getProject: ref('getProject', 'GET', '/api/user/organizations/:organizationId/projects/:projectId'),
  updateProject: ref('updateProject', 'PATCH', '/api/user/organizations/:organizationId/projects/:projectId'),
  deleteProject: ref('deleteProject', 'DELETE', '/api/user/organizations/:organizationId/projects/:projectId'),
  getOrganization: ref('getOrganization', 'GET', '/api/user/organizations/:organizationId'),
  updateOrganization: ref('updateOrganization', 'PATCH', '/api/user/organizations/:organizationId'),
  deleteOrganization: ref('deleteOrganization', 'DELETE', '/api/user/organizations/:organizationId'),
  leaveOrganization: ref('leaveOrganization', 'POST', '/api/user/organizations/:organizationId/leave'),
  listMembers: ref('listMembers', 'GET', '/api/user/organizations/:organizationId/members'),
  inviteMember: ref('inviteMember', 'POST', '/api/user/organizations/:organizationId/members'),
  updateMember: ref('updateMember', 'PATCH', '/api/user/organizations/:organizationId/members/:userId'),
  removeMember: ref('removeMember', 'DELETE', '/api/user/organizations/:organizationId/members/:userId'),
  listInvitations: ref('listInvitations', 'GET', '/api/user/organizations/:organizationId/invitations'),
  revokeInvitation: ref('revokeInvitation', 'DELETE', '/api/user/organizations/:organizationId/invitations/:invitationId'),
  listMyInvitations: ref('listMyInvitations', 'GET', '/api/user/invitations'),
  acceptInvitation: ref('acceptInvitation', 'POST', '/api/user/invitations/:invitationId/accept'),
  viewInvitation: ref('viewInvitation', 'GET', '/api/invitations/:invitationId'),
  listTeams: ref('listTeams', 'GET', '/api/user/organizations/:organizationId/teams'),
  createTeam: ref('createTeam', 'POST', '/api/user/organizations/:organizationId/teams'),
  getTeam: ref('getTeam', 'GET', '/api/user/organizations/:organizationId/teams/:teamId'),
  updateTeam: ref('updateTeam', 'PATCH', '/api/user/organizations/:organizationId/teams/:teamId'),
  deleteTeam: ref('deleteTeam', 'DELETE', '/api/user/organizations/:organizationId/teams/:teamId'),
  listTeamMembers: ref('listTeamMembers', 'GET', '/api/user/organizations/:organizationId/teams/:teamId/members'),
  addTeamMember: ref('addTeamMember', 'POST', '/api/user/organizations/:organizationId/teams/:teamId/members'),
  removeTeamMember: ref('removeTeamMember', 'DELETE', '/api/user/organizations/:organizationId/teams/:teamId/members/:userId'),
  listPayments: ref('listPayments', 'GET', '/api/user/organizations/:organizationId/payments'),
  createPayment: ref('createPayment', 'POST', '/api/user/organizations/:organizationId/payments'),
  getSubscription: ref('getSubscription', 'GET', '/api/user/organizations/:organizationId/subscription'),
  updateSubscription: ref('updateSubscription', 'PATCH', '/api/user/organizations/:organizationId/subscription'),
  listOAuthGrants: ref('listOAuthGrants', 'GET', '/api/user/oauth/grants'),
  revokeOAuthGrant: ref('revokeOAuthGrant', 'DELETE', '/api/user/oauth/grants/:grantId'),
  listWebhooks: ref('listWebhooks', 'GET', '/api/user/organizations/:organizationId/webhooks'),
  createWebhook: ref('createWebhook', 'POST', '/api/user/organizations/:organizationId/webhooks'),
  getWebhook: ref('getWebhook', 'GET', '/api/user/organizations/:organizationId/webhooks/:webhookId'),
  updateWebhook: ref('updateWebhook', 'PATCH', '/api/user/organizations/:organizationId/webhooks/:webhookId'),
  deleteWebhook: ref('deleteWebhook', 'DELETE', '/api/user/organizations/:organizationId/webhooks/:webhookId'),
  rotateWebhookSecret: ref('rotateWebhookSecret', 'POST', '/api/user/organizations/:organizationId/webhooks/:webhookId/rotate-secret'),
  testWebhook: ref('testWebhook', 'POST', '/api/user/organizations/:organizationId/webhooks/:webhookId/test'),
  listWebhookDeliveries: ref('listWebhookDeliveries', 'GET', '/api/user/organizations/:organizationId/webhooks/:webhookId/deliveries'),
  redeliverWebhook: ref('redeliverWebhook', 'POST', '/api/user/organizations/:organizationId/webhooks/:webhookId/deliveries/:deliveryId/redeliver'),
  createWebhookRelay: ref('createWebhookRelay', 'POST', '/api/user/organizations/:organizationId/webhooks/relays'),
  pollWebhookRelay: ref('pollWebhookRelay', 'POST', '/api/user/organizations/:organizationId/webhooks/:webhookId/relay/poll'),
  reportWebhookRelayResult: ref('reportWebhookRelayResult', 'POST', '/api/user/organizations/:organizationId/webhooks/:webhookId/deliveries/:deliveryId/relay-result'),
  listOrganizationAuditLog: ref('listOrganizationAuditLog', 'GET', '/api/user/organizations/:organizationId/audit-log'),
  listUserAuditLog: ref('listUserAuditLog', 'GET', '/api/user/audit-log'),
} as const satisfies { [N in RouteName]?: RouteRef<N> };

/**
 * The path of a route template with its `:params` filled in, each encoded as one path segment.
 * A missing parameter, or one the template does not have, is an error (never a `/undefined/`).
 * @example buildPath('/api/user/organizations/:organizationId/projects', { organizationId: 'acme' }) // '/api/user/organizations/acme/projects'
 */
export function buildPath(template: string, params: Record<string, string> = {}): string {
  const used = new Set<string>();
  const path = template.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`${template}: missing path parameter ${name}`);
    used.add(name);
    return encodeURIComponent(value);
  });
  const extra = Object.keys(params).filter((k) => !used.has(k));
  if (extra.length) throw new Error(`${template}: no path parameter ${extra.join(', ')}`);
  return path;
}
