import * as auth from './auth.js';
import * as keys from './keys.js';
import * as organizations from './organizations.js';
import * as projects from './projects.js';
import * as users from './users.js';

export { auth, keys, organizations, projects, users };

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
  getMe: users.getMe,
  updateMe: users.updateMe,
  listOrganizations: organizations.listOrganizations,
  createOrganization: organizations.createOrganization,
  listProjects: projects.listProjects,
  createProject: projects.createProject,
  getProject: projects.getProject,
  updateProject: projects.updateProject,
  deleteProject: projects.deleteProject,
} as const;

export type RouteName = keyof typeof ROUTES;
