import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, ListQuery, NullableTimestamp, Strict, Timestamp } from '../schemas.js';
import { Password } from './auth.js';

/**
 * What the web console (issue 17) needs beyond the phase 1 API, as API routes its pages call
 * through the same services: re-authentication, email change, and platform administration.
 */



export const reauthenticate = defineRoute({
  method: 'POST', path: '/api/auth/reauthenticate', tag: 'auth', auth: 'session',
  summary: 'Type the password again: a session older than ten minutes must, before creating keys or changing email or password',
  message: 'Password confirmed',
  body: Strict({ password: Password }),
  data: Type.Object({ ok: Type.Literal(true), reauthenticatedAt: Timestamp }),
});

export const changeEmail = defineRoute({
  method: 'POST', path: '/api/auth/change-email', tag: 'auth', auth: 'session',
  summary: 'Ask to move the account to a new address: a confirmation link goes to the new one, a notice to the old one',
  message: 'Check the new address for a confirmation link', status: 202,
  body: Strict({ newEmail: Email, password: Password }),
  data: Type.Object({ ok: Type.Literal(true), pendingEmail: Email }),
});

export const confirmEmailChange = defineRoute({
  method: 'POST', path: '/api/auth/confirm-email-change', tag: 'auth', auth: 'public',
  summary: 'Consume the link mailed to the new address: the account moves to it, verified',
  message: 'Email changed',
  body: Strict({ token: Type.String({ minLength: 1, maxLength: 100 }) }),
  data: Type.Object({ email: Email, previousEmail: Email, verifiedAt: Timestamp }),
});

export const AdminUser = Type.Object({
  id: Id, email: Email, fullName: Type.String(), role: Type.String(), isActive: Type.Boolean(), isVerified: Type.Boolean(),
  lastLoginAt: NullableTimestamp, createdAt: Timestamp,
});

export const adminListUsers = defineRoute({
  method: 'GET', path: '/api/admin/users', tag: 'admin', auth: 'session',
  summary: 'Platform admins: search accounts by email or name', message: 'Users fetched successfully',
  query: Strict({ ...ListQuery.properties, q: Type.Optional(Type.String({ maxLength: 254 })) }),
  data: Type.Array(AdminUser),
});

const AdminTarget = Type.Object({ user: AdminUser, revokedSessions: Type.Integer() });

export const adminDisableUser = defineRoute({
  method: 'POST', path: '/api/admin/users/:userId/disable', tag: 'admin', auth: 'session',
  summary: 'Platform admins: disable an account; its sessions and keys stop at once', message: 'User disabled',
  data: AdminTarget,
});

export const adminEnableUser = defineRoute({
  method: 'POST', path: '/api/admin/users/:userId/enable', tag: 'admin', auth: 'session',
  summary: 'Platform admins: enable a disabled account (its ended sessions stay ended)', message: 'User enabled',
  data: AdminTarget,
});

export const adminForcePasswordReset = defineRoute({
  method: 'POST', path: '/api/admin/users/:userId/force-password-reset', tag: 'admin', auth: 'session',
  summary: 'Platform admins: end the password and every session; a reset link goes to the account address', message: 'Password reset forced',
  data: AdminTarget,
});


