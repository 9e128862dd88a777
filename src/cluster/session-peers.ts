/**
 * 2025-era Streamable HTTP sessions across the nodes of a cluster. A session's id names its
 * node (`<nodeId>~<the worker's own id>`), so any node tells the owner without a lookup. A
 * request for another node's session is proxied over HTTP to that node's advertise URL (same
 * method, path, headers and body; the answer streamed back as it comes, SSE included), where it
 * is served like any request, through the worker relay when it lands on a worker that does not
 * own the session. So a GET stream may sit on one node and the POSTs on others, and a sampling
 * or elicitation request's answer may arrive anywhere. 2026 task ids name their node the same
 * way, so tasks/get, update and cancel reach the node holding the task when tasks live in each
 * node's memory; `erlmcp serve` keeps them in Redis (src/cluster/tasks) and serves tasks/* on
 * every node instead (the listener's `tasksShared`). Ids of this node's own sessions and tasks
 * go to the worker relay, if any.
 *
 * Not done here: moving a dead node's sessions elsewhere. A session whose node is gone from the
 * membership gets 404 (a 2025 client then initializes a new one); a node that does not answer
 * gets 503 with reason "node_unreachable".
 */
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { ErrorCode } from '../mcp/jsonrpc.js';
import type { Logger } from '../ops/logger.js';
import {
  answerForwarded,
  type ForwardedRequest,
  type ForwardTarget,
  type SessionPeers,
} from '../transports/http-forward.js';
import type { ClusterView } from './membership.js';

/** Separates the node id from the rest of a session id (never in a node id). */
export const NODE_SEPARATOR = '~';
/** Set on a proxied request: the node that sent it (a node never proxies such a request again). */
export const FORWARDED_BY = 'x-erlmcp-forwarded-by';

/** Hop-by-hop and framing headers, never copied across the hop. */
const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade']);

/** Options of {@link ClusterSessionPeers}. */
export interface ClusterSessionPeersOptions {
  readonly nodeId: string;
  /** The MCP endpoint's path (the same on every node). */
  readonly path: string;
  /** The node's cluster view (the membership's, or the copy a worker got). */
  readonly view: () => ClusterView | undefined;
  /** The worker relay of this process (with --workers N). */
  readonly inner?: SessionPeers;
  readonly logger: Logger;
}

/** The SessionPeers of a listener in a cluster: see the module comment. */
export class ClusterSessionPeers implements SessionPeers {
  readonly sessionIdPrefix: string;
  readonly #o: ClusterSessionPeersOptions;
  readonly #ownPrefix: string;
  /** Other nodes by the (negative) owner numbers ownerOf hands out. */
  readonly #nodes: string[] = [];
  readonly #codes = new Map<string, number>();
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  /** Requests proxied to another node since start. */
  forwarded = 0;

  constructor(o: ClusterSessionPeersOptions) {
    this.#o = o;
    this.#ownPrefix = `${o.nodeId}${NODE_SEPARATOR}`;
    this.sessionIdPrefix = `${this.#ownPrefix}${o.inner?.sessionIdPrefix ?? ''}`;
  }

  attach(listener: ForwardTarget): void {
    this.#o.inner?.attach(listener);
  }

  ownerOf(sid: string): number | undefined {
    const sep = sid.indexOf(NODE_SEPARATOR);
    if (sep < 1) return this.#o.inner?.ownerOf(sid);
    if (sid.startsWith(this.#ownPrefix)) return this.#o.inner?.ownerOf(sid.slice(sep + 1));
    const node = sid.slice(0, sep);
    let code = this.#codes.get(node);
    if (code === undefined) {
      this.#nodes.push(node);
      code = -this.#nodes.length;
      this.#codes.set(node, code);
    }
    return code;
  }

  forward(owner: number, request: ForwardedRequest, res: ServerResponse): void {
    if (owner >= 0) {
      (this.#o.inner as SessionPeers).forward(owner, request, res);
      return;
    }
    const node = this.#nodes[-owner - 1] as string;
    const id = request.id ?? null;
    const target = this.#o.view()?.nodes.find((n) => n.id === node);
    // A request that was proxied here already names a node we do not own: the sender's view
    // and ours disagree (the session is gone); never bounce it on.
    if (target === undefined || request.headers[FORWARDED_BY] !== undefined) {
      if (request.stateless) {
        // A 2026 tasks/* request: the task went with its node (as the task manager words an unknown task).
        const taskId = taskIdOfBody(request.body);
        answerForwarded(
          res,
          200,
          ErrorCode.INVALID_PARAMS,
          `Unknown task: ${taskId} (node ${node} has left the cluster)`,
          id,
          {
            taskId,
          },
        );
      } else answerForwarded(res, 404, ErrorCode.INVALID_REQUEST, 'Session not found: initialize a new session', id);
      return;
    }
    this.forwarded++;
    this.#proxy(new URL(this.#o.path, target.advertise), node, request, res);
  }

  /** Closes the kept-alive connections to other nodes. */
  close(): void {
    this.#agent.destroy();
  }

  #proxy(url: URL, node: string, request: ForwardedRequest, res: ServerResponse): void {
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(request.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    headers[FORWARDED_BY] = this.#o.nodeId;
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    if (body !== undefined) headers['content-length'] = String(body.length);
    let ended = false;
    const upstream = http.request(url, { method: request.method, headers, agent: this.#agent }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      res.flushHeaders();
      answer.once('end', () => {
        ended = true;
      });
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    // The client went away before the owner's answer ended: so does the hop (the owner sees
    // its response closed, like a client hanging up).
    res.once('close', () => {
      if (!ended && !upstream.destroyed) upstream.destroy();
    });
    upstream.once('error', (err) => {
      this.#o.logger.warn({ peer: node, err: err.message }, 'cluster: could not reach the node owning a session');
      if (res.headersSent) res.destroy();
      else
        answerForwarded(
          res,
          503,
          ErrorCode.SESSION_CLOSING,
          `Service Unavailable: node ${node} is not reachable`,
          request.id ?? null,
          {
            reason: 'node_unreachable',
            retryAfterMs: 1000,
          },
        );
    });
    upstream.end(body);
  }
}

/** The taskId of a tasks/* request body (the listener routed on it, so it is there). */
function taskIdOfBody(body: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(body ?? '') as { params?: { taskId?: unknown } }).params?.taskId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
