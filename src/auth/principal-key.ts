import type { VerifiedIdentity } from './identity.js';
import type { AuthMethod, Principal } from './types.js';

/**
 * What identifies a principal for limits and isolation: the client (`clientId`, the default:
 * one rate limit per application, however many users it serves) or the user (`subject`).
 * Either falls back to the other when the credential lacks it.
 */
export type PrincipalKeyMode = 'clientId' | 'subject';

/**
 * @internal The principal of a verified identity, or undefined when it names neither a client
 * nor a subject: such a credential cannot be told apart from any other, so it must not share
 * one key with all of them.
 *
 * The key is `<issuer or method>|<client id or subject>`; the prefix keeps two issuers'
 * subjects apart. Issuers are configured, so only a configured issuer can contain the `|`.
 */
export function toPrincipal(
  identity: VerifiedIdentity,
  method: AuthMethod,
  mode: PrincipalKeyMode,
): Principal | undefined {
  const id = mode === 'clientId' ? (identity.clientId ?? identity.subject) : (identity.subject ?? identity.clientId);
  if (id === undefined) return undefined;
  return Object.freeze({
    key: `${identity.issuer ?? method}|${id}`,
    subject: identity.subject,
    clientId: identity.clientId,
    scopes: identity.scopes ?? Object.freeze([]),
    claims: identity.claims ?? Object.freeze({}),
    method,
    expiresAt: identity.expiresAt,
  });
}
