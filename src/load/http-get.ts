/**
 * Small one-off HTTP calls to the server's plain routes (/health, /admin/*), on their own
 * connections so they never queue behind load traffic.
 */
import http from 'node:http';
import https from 'node:https';

/** Status and body text of one request; `error` instead when no response came. */
export interface PlainResponse {
  status: number;
  body: string;
  error?: string;
}

/** Sends `method path` to the origin of `base` and reads the whole answer within `timeoutMs`. */
export function plainRequest(
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number,
): Promise<PlainResponse> {
  return new Promise((resolve) => {
    const request = base.protocol === 'https:' ? https.request : http.request;
    const req = request(
      {
        hostname: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port,
        path,
        method,
        agent: false,
        headers: { accept: 'application/json', 'content-length': 0 },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          // /health is small; a huge body means this is not the endpoint we think it is.
          if (body.length < 1_000_000) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', (err: Error & { code?: string }) =>
          resolve({ status: res.statusCode ?? 0, body, error: err.code ?? err.message }),
        );
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: Error & { code?: string }) =>
      resolve({ status: 0, body: '', error: err.code ?? err.message }),
    );
    req.end();
  });
}
