import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, Name, NullableTimestamp, Strict, Timestamp } from '../schemas.js';

/** The account as `GET /api/user/me` shows it (seed 000). */
export const User = Type.Object({
  id: Id,
  email: Email,
  fullName: Type.String(),
  handle: Type.String(),
  isVerified: Type.Boolean(),
  verifiedAt: NullableTimestamp,
  isActive: Type.Boolean(),
  lastLoginAt: NullableTimestamp,
  role: Type.String(),
  organizationCount: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const Handle = Type.String({ minLength: 2, maxLength: 39, pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$' });
export const FullName = Name;

export const getMe = defineRoute({
  method: 'GET', path: '/api/user/me', tag: 'user', auth: 'user', scope: 'user:read',
  summary: 'The signed-in user', message: 'User fetched successfully', data: User,
});

export const updateMe = defineRoute({
  method: 'PATCH', path: '/api/user/me', tag: 'user', auth: 'user', scope: 'user:write',
  summary: 'Change your name or handle', message: 'User updated',
  body: Strict({ name: Type.Optional(FullName), handle: Type.Optional(Handle) }),
  data: User,
});
