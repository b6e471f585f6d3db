import { requestIp } from '../../http/client-ip.js';
import { authenticateTeamKey } from '../../keys/team-keys.service.js';
import { bearerChallenge, type CredentialKind } from './credential-kind.js';

/** A team key (`bt_…`): the team acts, in its own organization, with at most a member's scopes. */
export const teamKeyCredential: CredentialKind = {
  name: 'team-key',
  tokens: { teamKey: ['authorization', 'x-api-key'] },
  resolve: (deps, token, req, carrier) => authenticateTeamKey(deps, token, requestIp(req), carrier),
  challenge: bearerChallenge,
};
