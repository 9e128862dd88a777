// erlmcp stateless with authorization on: the ours-stateless server behind an Authenticator
// that verifies JWT access tokens against a JWKS. The issuer lives in this process (a key pair
// made with jose, its JWKS on 127.0.0.1), signs one token for wrk (handed over as wrkArgs) and
// is idle after the first verification: every later request hits the verdict cache, which is
// the cost this case measures against ours-stateless.
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { listenLoopback } from './loopback.mjs';
import { loadErlmcp, serve } from './ours.mjs';
import { UNBOUND_BUCKET } from './ours-stateless.mjs';

const RESOURCE = 'http://127.0.0.1/mcp';

async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  const { port, close } = await listenLoopback(server);
  const url = `http://127.0.0.1:${port}`;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    iss: url,
    aud: RESOURCE,
    sub: 'bench',
    client_id: 'wrk',
    scope: 'mcp:tools',
    iat: now,
    exp: now + 3600,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
    .sign(privateKey);
  return { url, token, close };
}

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  const erlmcp = await loadErlmcp();
  if (typeof erlmcp.Authenticator !== 'function') throw new Error('dist/index.mjs does not export Authenticator yet');
  const issuer = await startIssuer();
  const auth = new erlmcp.Authenticator({
    resource: RESOURCE,
    authorizationServers: [issuer.url],
    jwt: { jwksUri: `${issuer.url}/jwks` },
  });
  const handle = await serve(erlmcp, transport, UNBOUND_BUCKET, issuer.close, [], { auth });
  return { ...handle, wrkArgs: [issuer.token] };
}
