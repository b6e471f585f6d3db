import { authenticateSession } from '../sessions.js';
import { bearerChallenge, type CredentialKind } from './credential-kind.js';

/** A signed-in session: the cookie of a browser, or the bearer token of POST /api/auth/login. */
export const sessionCredential: CredentialKind = {
  name: 'session',
  // Each token only where it was issued to go: a cookie token in the cookie, a bearer one in Authorization.
  tokens: { session: ['cookie'], bearerSession: ['authorization'] },
  resolve: (deps, token, _req, carrier) => authenticateSession(deps.db, deps.config, deps.clock, token, carrier),
  challenge: bearerChallenge,
};
