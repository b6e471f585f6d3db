import { requestIp } from '../../http/client-ip.js';
import { authenticateKey } from '../../keys/key-auth.js';
import { bearerChallenge, type CredentialKind } from './credential-kind.js';

/** A personal access token (`ba_…`): a person's scopes, optionally pinned to one organization. */
export const patCredential: CredentialKind = {
  name: 'pat',
  tokens: { pat: ['authorization', 'x-api-key'] },
  resolve: (deps, token, req, carrier) => authenticateKey(deps, token, requestIp(req), carrier),
  challenge: bearerChallenge,
};
