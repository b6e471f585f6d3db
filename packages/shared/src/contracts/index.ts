import * as audit from './audit.js';
import * as auth from './auth.js';
import * as consoleRoutes from './console.js';
import * as invitations from './invitations.js';
import * as intake from './intake.js';
import * as keys from './keys.js';
import * as members from './members.js';
import * as oauth from './oauth.js';
import * as organizations from './organizations.js';
import * as payments from './payments.js';
import * as projects from './projects.js';
import * as rateLimits from './rate-limits.js';
import * as teamKeys from './team-keys.js';
import * as subscription from './subscription.js';
import * as teams from './teams.js';
import * as users from './users.js';
import * as webhooks from './webhooks.js';


export { audit, auth, consoleRoutes, intake, invitations, keys, members, oauth, teamKeys, organizations, payments, projects, rateLimits, subscription, teams, users, webhooks };

/** Every route of the API, for the server's route binding, the OpenAPI document and the policy test. */
export const ROUTES = {
  signUp: auth.signUp,
  signIn: auth.signIn,
  login: auth.login,
  signOut: auth.signOut,
  getSession: auth.getSession,
  verifyEmailPage: auth.verifyEmailPage,
  verifyEmail: auth.verifyEmail,
  sendVerificationEmail: auth.sendVerificationEmail,
  requestPasswordReset: auth.requestPasswordReset,
  resetPasswordPage: auth.resetPasswordPage,
  resetPassword: auth.resetPassword,
  changePassword: auth.changePassword,
  listSessions: auth.listSessions,
  revokeSession: auth.revokeSession,
  revokeOtherSessions: auth.revokeOtherSessions,
  createApiKey: keys.createApiKey,
  listApiKeys: keys.listApiKeys,
  getApiKey: keys.getApiKey,
  updateApiKey: keys.updateApiKey,
  deleteApiKey: keys.deleteApiKey,
  rotateApiKey: keys.rotateApiKey,
  reportLeakedKey: keys.reportLeakedKey,
  listScopes: keys.listScopes,
  getRateLimits: rateLimits.getRateLimits,
  createTeamKey: teamKeys.createTeamKey,
  listTeamKeys: teamKeys.listTeamKeys,
  revokeTeamKey: teamKeys.revokeTeamKey,
  rotateTeamKey: teamKeys.rotateTeamKey,
  receiveIntake: intake.receiveIntake,
  listIntake: intake.listIntake,
  getMe: users.getMe,
  updateMe: users.updateMe,
  listOrganizations: organizations.listOrganizations,
  createOrganization: organizations.createOrganization,
  listProjects: projects.listProjects,
  createProject: projects.createProject,
  getProject: projects.getProject,
  updateProject: projects.updateProject,
  deleteProject: projects.deleteProject,
  getOrganization: organizations.getOrganization,
  updateOrganization: organizations.updateOrganization,
  deleteOrganization: organizations.deleteOrganization,
  leaveOrganization: organizations.leaveOrganization,
  listMembers: members.listMembers,
  inviteMember: members.inviteMember,
  updateMember: members.updateMember,
  removeMember: members.removeMember,
  listInvitations: invitations.listInvitations,
  revokeInvitation: invitations.revokeInvitation,
  listMyInvitations: invitations.listMyInvitations,
  acceptInvitation: invitations.acceptInvitation,
  viewInvitation: invitations.viewInvitation,
  listTeams: teams.listTeams,
  createTeam: teams.createTeam,
  getTeam: teams.getTeam,
  updateTeam: teams.updateTeam,
  deleteTeam: teams.deleteTeam,
  listTeamMembers: teams.listTeamMembers,
  addTeamMember: teams.addTeamMember,
  removeTeamMember: teams.removeTeamMember,
  listPayments: payments.listPayments,
  createPayment: payments.createPayment,
  getSubscription: subscription.getSubscription,
  updateSubscription: subscription.updateSubscription,
  reauthenticate: consoleRoutes.reauthenticate,
  changeEmail: consoleRoutes.changeEmail,
  confirmEmailChange: consoleRoutes.confirmEmailChange,
  adminListUsers: consoleRoutes.adminListUsers,
  adminDisableUser: consoleRoutes.adminDisableUser,
  adminEnableUser: consoleRoutes.adminEnableUser,
  adminForcePasswordReset: consoleRoutes.adminForcePasswordReset,
  listWebhooks: webhooks.listWebhooks,
  createWebhook: webhooks.createWebhook,
  getWebhook: webhooks.getWebhook,
  updateWebhook: webhooks.updateWebhook,
  deleteWebhook: webhooks.deleteWebhook,
  rotateWebhookSecret: webhooks.rotateWebhookSecret,
  testWebhook: webhooks.testWebhook,
  listWebhookDeliveries: webhooks.listWebhookDeliveries,
  redeliverWebhook: webhooks.redeliverWebhook,
  createWebhookRelay: webhooks.createWebhookRelay,
  pollWebhookRelay: webhooks.pollWebhookRelay,
  reportWebhookRelayResult: webhooks.reportWebhookRelayResult,
  listOrganizationAuditLog: audit.listOrganizationAuditLog,
  listUserAuditLog: audit.listUserAuditLog,
  listOAuthGrants: oauth.listOAuthGrants,
  revokeOAuthGrant: oauth.revokeOAuthGrant,
  listOrganizationOAuthGrants: oauth.listOrganizationOAuthGrants,
} as const;

export type RouteName = keyof typeof ROUTES;
export { WEBHOOK_EVENT_TYPES, RELAY_TTL_SECONDS, isWebhookEventType, type WebhookEventType } from './webhooks.js';
