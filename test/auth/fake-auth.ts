/**
 * A RequestAuthenticator for transport tests that must not depend on token cryptography:
 * `Authorization: Bearer <name>` is the principal `<name>` of the table below (async for the
 * names in ASYNC, as a cold cache would be); anything else is refused like the real one.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthChallenge, AuthFailure, AuthOutcome, Principal, RequestAuthenticator } from '../../src/auth/types.js';

export const METADATA_URL = 'http://127.0.0.1/.well-known/oauth-protected-resource/mcp';

const SCOPES: Record<string, string[]> = {
  alice: ['mcp:tools'],
  bob: ['mcp:tools', 'admin'],
  carol: ['mcp:tools'],
  // Same client as alice, another token: the same principal.
  'alice-2': ['mcp:tools', 'admin'],
};
const ASYNC = new Set(['carol']);
/** `p0`, `p1`, ...: any number of plain principals for isolation tests. */
const NUMBERED = /^p\d+$/;
/** `exp<N>`: a principal whose token expires N ms after it is presented. */
const EXPIRING = /^exp(\d+)$/;
const known = (token: string) => token in SCOPES || NUMBERED.test(token) || EXPIRING.test(token);

export function principal(name: string): Principal {
  const who = name === 'alice-2' ? 'alice' : name;
  return Object.freeze({
    key: `test|${who}`,
    subject: `user-${who}`,
    clientId: who,
    scopes: Object.freeze([...(SCOPES[name] ?? ['mcp:tools'])]),
    claims: Object.freeze({ sub: `user-${who}`, client_id: who }),
    method: 'custom' as const,
    expiresAt: undefined,
  });
}

export class FakeAuth implements RequestAuthenticator {
  /** How many requests were authenticated, by outcome. */
  readonly seen = { ok: 0, refused: 0 };

  authenticate(req: IncomingMessage): AuthOutcome | Promise<AuthOutcome> {
    const header = req.headers.authorization;
    if (header === undefined) return this.#refuse({ status: 401, error: undefined, description: 'no token' });
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    if (token === undefined || !known(token)) {
      return this.#refuse({ status: 401, error: 'invalid_token', description: 'unknown token' });
    }
    this.seen.ok++;
    const ms = EXPIRING.exec(token)?.[1];
    const p = principal(token);
    const outcome: AuthOutcome = {
      ok: true,
      principal: ms === undefined ? p : Object.freeze({ ...p, expiresAt: Date.now() + Number(ms) }),
    };
    return ASYNC.has(token) ? new Promise((r) => setTimeout(() => r(outcome), 5)) : outcome;
  }

  #refuse(failure: AuthFailure): AuthOutcome {
    this.seen.refused++;
    return { ok: false, failure };
  }

  challenge(f: AuthFailure): AuthChallenge {
    let h = `Bearer resource_metadata="${METADATA_URL}"`;
    if (f.error !== undefined) h += `, error="${f.error}", error_description="${f.description}"`;
    if (f.scope !== undefined) h += `, scope="${f.scope}"`;
    return {
      status: f.status,
      headers: { 'content-type': 'application/json', 'www-authenticate': h },
      body: JSON.stringify({ error: f.error ?? 'unauthorized', error_description: f.description }),
    };
  }
}
