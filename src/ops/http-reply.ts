import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Writes a complete response; for HEAD the headers (Content-Length included) without the
 * body, as RFC 9110 asks. Observability answers are never cached.
 */
export function reply(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** {@link reply} with a JSON body. */
export function replyJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  reply(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

/** 405 with the Allow header listing what the route takes. */
export function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  replyJson(req, res, 405, { error: `method ${req.method ?? ''} not allowed; use ${allow}` }, { allow });
}

/** The request's path, without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
