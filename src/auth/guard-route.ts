import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthOutcome, RequestAuthenticator } from './types.js';
import { whenAuthenticated } from './when-authenticated.js';

type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

/**
 * Wraps plain-HTTP routes (health, metrics) so that the requests for `paths` need a valid
 * token (answered with the challenge otherwise) while every other path passes through as
 * before: /metrics can be private while /health and /ready stay open for probes.
 */
export function guardRoutes(auth: RequestAuthenticator, paths: readonly string[], route: Route): Route {
  const answer = (req: IncomingMessage, res: ServerResponse, outcome: AuthOutcome): void => {
    if (outcome.ok) {
      if (!route(req, res)) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
      return;
    }
    const c = auth.challenge(outcome.failure);
    res.writeHead(c.status, c.headers);
    res.end(c.body);
  };
  return (req, res) => {
    if (!paths.includes(pathOf(req.url))) return route(req, res);
    whenAuthenticated(
      auth,
      req,
      (o) => answer(req, res, o),
      () => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('authentication failed\n');
      },
    );
    return true;
  };
}
