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
 * When a session's node is gone from the membership (died or left), the session continues on
 * another node: the first node that gets a request for it claims it in Redis
 * (src/cluster/session-store.ts), builds it again from its snapshot and serves it; the others
 * learn the new owner from the same claim and proxy to it. Within a node, one worker (the one
 * the id names, see SessionPeers.home) continues it, so concurrent requests meet there.
 * Requests that were in flight on the dead node are not replayed: one still waiting for its
 * answer head gets 503 `node_unreachable`, one whose SSE answer had begun gets a JSON-RPC
 * error event in place of the answer. Until the others see the node gone (within
 * deadAfterMs + one heartbeat), its sessions get 503 `node_unreachable` (retry).
 */
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { ErrorCode, errorResponse } from '../mcp/jsonrpc.js';
import type { Logger } from '../ops/logger.js';
import {
  answerForwarded,
  type ForwardedRequest,
  type ForwardTarget,
  type SessionPeers,
} from '../transports/http-forward.js';
import type { ClusterNode, ClusterView } from './membership.js';
import type { Claim } from './session-store.js';

/** Separates the node id from the rest of a session id (never in a node id). */
export const NODE_SEPARATOR = '~';
/**
 * Set on a proxied request: the nodes it went through, comma-separated. A request is proxied
 * at most {@link MAX_HOPS} times and never back to a node it passed, so views of the membership
 * that disagree for a moment cannot bounce it around.
 */
export const FORWARDED_BY = 'x-erlmcp-forwarded-by';
/** A request for a continued session may take two hops: to the node its id names, then to its new owner. */
const MAX_HOPS = 2;

/** Hop-by-hop and framing headers, never copied across the hop. */
const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade']);

/** How a node continues sessions whose owner is gone (a ClusterSessionStore). */
export interface SessionClaims {
  claim(sessionId: string): Promise<Claim>;
}

/** Options of {@link ClusterSessionPeers}. */
export interface ClusterSessionPeersOptions {
  readonly nodeId: string;
  /** The MCP endpoint's path (the same on every node). */
  readonly path: string;
  /** The node's cluster view (the membership's, or the copy a worker got). */
  readonly view: () => ClusterView | undefined;
  /** The worker relay of this process (with --workers N). */
  readonly inner?: SessionPeers;
  /** Where sessions are claimed; without it a gone node's sessions get 404. */
  readonly claims?: SessionClaims;
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
  /** Continued sessions of gone nodes that another node claimed: session id -> its owner. */
  readonly #owners = new Map<string, string>();
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  #target: ForwardTarget | undefined;
  /** Requests proxied to another node since start. */
  forwarded = 0;
  /** Sessions of gone nodes this thread continued since start. */
  continued = 0;

  constructor(o: ClusterSessionPeersOptions) {
    this.#o = o;
    this.#ownPrefix = `${o.nodeId}${NODE_SEPARATOR}`;
    this.sessionIdPrefix = `${this.#ownPrefix}${o.inner?.sessionIdPrefix ?? ''}`;
  }

  attach(listener: ForwardTarget): void {
    this.#target = listener;
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
    const target = this.#node(node);
    if (request.stateless) {
      // A 2026 tasks/* request: the task went with its node (as the task manager words an unknown task).
      if (target === undefined) {
        const taskId = taskIdOfBody(request.body);
        const message = `Unknown task: ${taskId} (node ${node} has left the cluster)`;
        answerForwarded(res, 200, ErrorCode.INVALID_PARAMS, message, request.id ?? null, { taskId });
      } else this.#via(target, request, res);
      return;
    }
    if (target !== undefined) this.#via(target, request, res);
    else this.recover(single(request.headers['mcp-session-id']) ?? '', request, res);
  }

  /**
   * A session nobody here holds whose node is gone (or is this one, restarted): see the module
   * comment. `unreachable`: a node the request could not reach just now; Redis decides whether
   * it is dead (its heartbeat key expired), so a session moves as soon as Redis says so rather
   * than at this node's next view.
   */
  recover(sid: string, request: ForwardedRequest, res: ServerResponse, unreachable?: string): void {
    const sep = sid.indexOf(NODE_SEPARATOR);
    const inner = this.#o.inner;
    const home = inner?.home?.(sep < 1 ? sid : sid.slice(sep + 1));
    if (home !== undefined) {
      (inner as SessionPeers).forward(home, request, res);
      return;
    }
    const known = this.#owners.get(sid);
    const knownNode = known === undefined || known === unreachable ? undefined : this.#node(known);
    if (knownNode !== undefined) {
      this.#via(knownNode, request, res);
      return;
    }
    if (known !== undefined) this.#owners.delete(sid);
    const claims = this.#o.claims;
    if (claims === undefined || sid === '') {
      notFound(res, request);
      return;
    }
    claims.claim(sid).then(
      (claim) => {
        if (claim.kind === 'gone') notFound(res, request);
        else if (claim.kind === 'elsewhere') {
          const n = this.#node(claim.owner);
          if (claim.owner === unreachable) this.#unreachable(res, request, claim.owner);
          else if (n === undefined) routeChanging(res, request, claim.owner);
          else {
            if (this.#owners.size >= 100_000) this.#owners.clear();
            this.#owners.set(sid, claim.owner);
            this.#via(n, request, res);
          }
        } else {
          this.continued++;
          this.#o.logger.info({ session: sid }, 'cluster: continuing a session whose node is gone');
          const target = this.#target;
          if (target?.serveRestored === undefined) notFound(res, request);
          else target.serveRestored(claim.snapshot, request, res);
        }
      },
      (err: Error) => {
        this.#o.logger.warn({ session: sid, err: err.message }, 'cluster: could not claim a session');
        answerForwarded(
          res,
          503,
          ErrorCode.SESSION_CLOSING,
          `Service Unavailable: the session cannot be continued now (${err.message})`,
          request.id ?? null,
          { reason: 'cluster_unavailable', retryAfterMs: 1000 },
        );
      },
    );
  }

  /** Closes the kept-alive connections to other nodes. */
  close(): void {
    this.#agent.destroy();
  }

  /** 503 node_unreachable: retry after a heartbeat, when the node may be known dead and its session moved. */
  #unreachable(res: ServerResponse, request: ForwardedRequest, node: string): void {
    answerForwarded(
      res,
      503,
      ErrorCode.SESSION_CLOSING,
      `Service Unavailable: node ${node} is not reachable`,
      request.id ?? null,
      { reason: 'node_unreachable', retryAfterMs: this.#o.view()?.heartbeat_ms ?? 1000 },
    );
  }

  /** Node `id` in this node's view, other than this one. */
  #node(id: string): ClusterNode | undefined {
    if (id === this.#o.nodeId) return undefined;
    return this.#o.view()?.nodes.find((n) => n.id === id);
  }

  /** Proxies to `node`, unless the request passed it already or took its hops. */
  #via(node: ClusterNode, request: ForwardedRequest, res: ServerResponse): void {
    const passed = single(request.headers[FORWARDED_BY]);
    const hops = passed === undefined || passed === '' ? [] : passed.split(',');
    if (hops.length >= MAX_HOPS || hops.includes(node.id) || hops.includes(this.#o.nodeId)) {
      routeChanging(res, request, node.id);
      return;
    }
    this.forwarded++;
    this.#proxy(new URL(this.#o.path, node.advertise), node.id, [...hops, this.#o.nodeId].join(','), request, res);
  }

  #proxy(url: URL, node: string, via: string, request: ForwardedRequest, res: ServerResponse, retry = true): void {
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(request.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    headers[FORWARDED_BY] = via;
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    if (body !== undefined) headers['content-length'] = String(body.length);
    let ended = false;
    let sse = false;
    const upstream = http.request(url, { method: request.method, headers, agent: this.#agent }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) out[k] = v;
      sse = String(answer.headers['content-type'] ?? '').startsWith('text/event-stream');
      res.writeHead(answer.statusCode ?? 502, out);
      res.flushHeaders();
      answer.once('end', () => {
        ended = true;
      });
      answer.pipe(res);
      // The node died mid-answer: the answer it owed will never come.
      answer.once('aborted', () => cut(res, request, node, sse));
      answer.once('error', () => cut(res, request, node, sse));
    });
    // The client went away before the owner's answer ended: so does the hop (the owner sees
    // its response closed, like a client hanging up).
    res.once('close', () => {
      if (!ended && !upstream.destroyed) upstream.destroy();
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive connection the node closed just as we reused it: once more on a new one.
      if (retry && upstream.reusedSocket && err.code === 'ECONNRESET' && !res.headersSent) {
        this.#proxy(url, node, via, request, res, false);
        return;
      }
      this.#o.logger.warn({ peer: node, err: err.message }, 'cluster: could not reach the node owning a session');
      const sid = single(request.headers['mcp-session-id']);
      if (res.headersSent) cut(res, request, node, sse);
      else if (!request.stateless && sid !== undefined && this.#o.claims !== undefined)
        this.recover(sid, request, res, node);
      else this.#unreachable(res, request, node);
    });
    upstream.end(body);
  }
}

/** 404: the session is gone for good (a 2025 client initializes a new one). */
function notFound(res: ServerResponse, request: ForwardedRequest): void {
  answerForwarded(
    res,
    404,
    ErrorCode.INVALID_REQUEST,
    'Session not found: initialize a new session',
    request.id ?? null,
  );
}

/** 503 for a moment: this node and another disagree on where the session is (a view is a beat behind). */
function routeChanging(res: ServerResponse, request: ForwardedRequest, node: string): void {
  answerForwarded(
    res,
    503,
    ErrorCode.SESSION_CLOSING,
    `Service Unavailable: the session is moving (node ${node}); retry`,
    request.id ?? null,
    { reason: 'session_moving', retryAfterMs: 250 },
  );
}

/**
 * The owner's answer broke off (it died): an SSE answer to a request ends with a JSON-RPC
 * error in place of the answer, so the client is told instead of waiting; anything else ends.
 */
function cut(res: ServerResponse, request: ForwardedRequest, node: string, sse: boolean): void {
  if (res.writableEnded || res.destroyed) return;
  const id = request.id;
  if (sse && request.method === 'POST' && id !== undefined && id !== null) {
    const error = errorResponse(
      id,
      ErrorCode.SESSION_CLOSING,
      `node ${node} stopped before answering; the request may or may not have taken effect`,
      { reason: 'node_unreachable' },
    );
    res.end(`event: message\ndata: ${JSON.stringify(error)}\n\n`);
    return;
  }
  res.end();
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
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
