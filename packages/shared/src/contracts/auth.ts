import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, Strict, Timestamp } from '../schemas.js';
import { FullName, User } from './users.js';

/**
 * Length limits are enforced by the server's policy (ACCT_PASSWORD_MIN_LENGTH, at most 256 code
 * points of the NFKC form). JSON Schema's maxLength counts UTF-16 units, in which one emoji is two:
 * the wire cap only bounds the input, with room for 256 code points of any kind.
 */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const Session = Type.Object({
  id: Id,
  kind: Type.Union([Type.Literal('cookie'), Type.Literal('bearer')]),
  current: Type.Boolean(),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  expiresAt: Timestamp,
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
});

const Done = Type.Object({ ok: Type.Literal(true) });
const base = '/api/auth';

export const signUp = defineRoute({
  method: 'POST', path: `${base}/sign-up/email`, tag: 'auth', auth: 'public',
  summary: 'Create an account, its default organization, and mail a verification link',
  message: 'Account created; check your email to verify it', status: 201,
  body: Strict({ email: Email, password: Password, name: FullName }),
  data: Type.Object({ user: User }),
});

export const signIn = defineRoute({
  method: 'POST', path: `${base}/sign-in/email`, tag: 'auth', auth: 'public',
  summary: 'Sign in with email and password; sets the session cookie', message: 'Signed in',
  body: Strict({ email: Email, password: Password, rememberMe: Type.Optional(Type.Boolean()) }),
  data: Type.Object({ user: User, session: Type.Object({ id: Id, expiresAt: Timestamp }) }),
});

export const login = defineRoute({
  method: 'POST', path: `${base}/login`, tag: 'auth', auth: 'public',
  summary: 'Sign in for a bearer session token (Authorization: Bearer)', message: 'Signed in',
  body: Strict({ email: Email, password: Password }),
  data: Type.Object({ token: Type.String(), expiresAt: Timestamp, user: User }),
});

export const signOut = defineRoute({
  method: 'POST', path: `${base}/sign-out`, tag: 'auth', auth: 'session',
  summary: 'End the current session and clear its cookie', message: 'Signed out', data: Done,
});

export const getSession = defineRoute({
  method: 'GET', path: `${base}/get-session`, tag: 'auth', auth: 'session',
  summary: 'The current session and its user', message: 'Session fetched successfully',
  data: Type.Object({ session: Session, user: User }),
});

export const verifyEmailPage = defineRoute({
  method: 'GET', path: `${base}/verify-email`, tag: 'auth', auth: 'public',
  summary: 'The mailed verification link: shows a confirmation form (a GET never changes state)',
  message: 'Confirm to verify your email address',
  query: Strict({ token: Type.String({ minLength: 1, maxLength: 100 }) }),
  data: Type.Object({ email: Email, confirm: Type.Object({ method: Type.Literal('POST'), path: Type.String() }) }),
});

export const verifyEmail = defineRoute({
  method: 'POST', path: `${base}/verify-email`, tag: 'auth', auth: 'public',
  summary: 'Consume a verification token', message: 'Email verified',
  body: Strict({ token: Type.String({ minLength: 1, maxLength: 100 }) }),
  data: Type.Object({
    email: Email, verifiedAt: Timestamp,
    /** Sessions and API keys created before the address was proven, now ended (account pre-hijacking). */
    revokedSessions: Type.Integer(), revokedKeys: Type.Integer(),
  }),
});

export const sendVerificationEmail = defineRoute({
  method: 'POST', path: `${base}/send-verification-email`, tag: 'auth', auth: 'public',
  summary: 'Mail a new verification link (same answer whether or not the account exists)',
  message: 'If the account exists and is unverified, a verification email is on its way',
  body: Strict({ email: Email }), data: Done,
});

export const requestPasswordReset = defineRoute({
  method: 'POST', path: `${base}/request-password-reset`, tag: 'auth', auth: 'public',
  summary: 'Mail a password reset link (same answer whether or not the account exists)',
  message: 'If the account exists, a reset link is on its way',
  body: Strict({ email: Email }), data: Done,
});

export const resetPasswordPage = defineRoute({
  method: 'GET', path: `${base}/reset-password`, tag: 'auth', auth: 'public',
  summary: 'The mailed reset link: shows the new-password form', message: 'Choose a new password',
  query: Strict({ token: Type.String({ minLength: 1, maxLength: 100 }) }),
  data: Type.Object({ confirm: Type.Object({ method: Type.Literal('POST'), path: Type.String() }) }),
});

export const resetPassword = defineRoute({
  method: 'POST', path: `${base}/reset-password`, tag: 'auth', auth: 'public',
  summary: 'Set a new password with a reset token; ends every session of the account and every API key made before the address was verified (all keys with revokeKeys)',
  message: 'Password reset; sign in again',
  body: Strict({ token: Type.String({ minLength: 1, maxLength: 100 }), newPassword: Password, revokeKeys: Type.Optional(Type.Boolean()) }),
  data: Type.Object({ ok: Type.Literal(true), revokedSessions: Type.Integer(), revokedKeys: Type.Integer() }),
});

export const changePassword = defineRoute({
  method: 'POST', path: `${base}/change-password`, tag: 'auth', auth: 'session',
  summary: 'Change your password (needs the current one)', message: 'Password changed',
  body: Strict({
    currentPassword: Password, newPassword: Password,
    revokeOtherSessions: Type.Optional(Type.Boolean()),
    /** Also revoke every API key (PAT) of the account. */
    revokeKeys: Type.Optional(Type.Boolean()),
  }),
  data: Type.Object({ ok: Type.Literal(true), revokedSessions: Type.Integer(), revokedKeys: Type.Integer() }),
});

export const listSessions = defineRoute({
  method: 'GET', path: `${base}/list-sessions`, tag: 'auth', auth: 'session',
  summary: 'Your live sessions', message: 'Sessions fetched successfully', data: Type.Array(Session),
});

export const revokeSession = defineRoute({
  method: 'POST', path: `${base}/revoke-session`, tag: 'auth', auth: 'session',
  summary: 'End one of your sessions', message: 'Session revoked',
  body: Strict({ id: Id }), data: Done,
});

export const revokeOtherSessions = defineRoute({
  method: 'POST', path: `${base}/revoke-other-sessions`, tag: 'auth', auth: 'session',
  summary: 'End every session but this one', message: 'Other sessions revoked',
  data: Type.Object({ ok: Type.Literal(true), revokedSessions: Type.Integer() }),
});


