import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErrorCode, errorResponse } from '../mcp/jsonrpc.js';
import type { DroppedNotification } from './transport.js';

/**
 * Answers the POST of a notification the protocol layer dropped (the sender's token bucket was
 * empty): 429 + Retry-After instead of 202, since 202 would say it was accepted. The body is a
 * JSON-RPC error without an id, as the spec allows for a refused notification: -32010 with
 * `reason` `rate_limited`, or `notification_flood` once the sender broke the flood rule; then
 * `Connection: close` also ends its keep-alive connection (the HTTP way to disconnect it; the
 * session or channel stays, so its empty bucket keeps applying).
 */
export function answerDropped(res: ServerResponse, drop: DroppedNotification, head: OutgoingHttpHeaders): void {
  if (res.headersSent || res.destroyed) return;
  const retryAfterMs = drop.retryAfterMs();
  const flooding = drop.flooding;
  const body = errorResponse(
    null,
    ErrorCode.RATE_LIMITED,
    flooding
      ? 'Notification flood: too many notifications over the rate limit; notification dropped'
      : 'Rate limit exceeded for this session: notification dropped',
    { reason: flooding ? 'notification_flood' : 'rate_limited', retryAfterMs },
  );
  const headers: OutgoingHttpHeaders = {
    ...head,
    'content-type': 'application/json',
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  };
  if (flooding) headers.connection = 'close';
  res.writeHead(429, headers);
  res.end(JSON.stringify(body));
}
