/**
 * 2025-era Streamable HTTP sessions across the worker threads of one process, over the worker
 * mesh. A session lives on the worker that answered its initialize (its id starts with
 * `w<index>.`); a POST, GET or DELETE for it that lands on another worker is forwarded to the
 * owner, served there by the normal listener code, and its answer (a JSON body, or an SSE
 * stream event by event) is replayed on the receiving worker's response. A GET stream held on
 * worker B thus carries the owner's server->client requests, and their answers, POSTed to
 * worker C, reach the owner the same way.
 *
 * Failure: when the owner stops, requests in flight to it are answered 503 (-32014,
 * `reason: 'worker_exited'`) or, once streaming, ended; its sessions are gone and later
 * requests for them get 404, which tells a 2025 client to initialize again. When a receiving
 * worker stops, the owner sees its relayed responses close, as if the clients had hung up.
 */
import type { ServerResponse } from 'node:http';
import { ErrorCode, type RequestId } from '../mcp/jsonrpc.js';
import {
  answerForwarded as answer,
  type ForwardedRequest,
  type ForwardTarget,
  RemoteResponse,
  type ResponseFrame,
  replayFrame,
  type SessionPeers,
} from '../transports/http-forward.js';
import type { WorkerMesh } from './mesh.js';

interface Pending {
  readonly res: ServerResponse;
  readonly owner: number;
  readonly id: RequestId | null;
}

interface RequestFrame {
  f: number;
  r: ForwardedRequest;
}

type ReplyFrame = ResponseFrame & { f: number };

/** The {@link SessionPeers} of one worker's listener. */
export class SessionRelay implements SessionPeers {
  readonly sessionIdPrefix: string;
  readonly #mesh: WorkerMesh;
  readonly #maxBufferedBytes: number;
  /** Requests this worker forwarded, by forward id. */
  readonly #pending = new Map<number, Pending>();
  /** Requests this worker serves for others, by `${from}:${forward id}`. */
  readonly #remote = new Map<string, RemoteResponse>();
  #target: ForwardTarget | undefined;
  #next = 0;
  /** Requests forwarded to another worker since start (for /metrics). */
  forwarded = 0;
  /** Requests served for another worker since start. */
  served = 0;

  constructor(mesh: WorkerMesh, maxBufferedBytes = 8 * 1024 * 1024) {
    this.#mesh = mesh;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.sessionIdPrefix = `w${mesh.index}.`;
    mesh.on('http:req', (from, body) => this.#onRequest(from, body as RequestFrame));
    mesh.on('http:res', (_from, body) => this.#onReply(body as ReplyFrame));
    mesh.on('http:gone', (from, body) => this.#remote.get(`${from}:${body as number}`)?.gone());
    mesh.onPeerDown((index) => this.#peerDown(index));
  }

  /** The listener that serves the sessions this worker owns. */
  attach(target: ForwardTarget): void {
    this.#target = target;
  }

  ownerOf(sid: string): number | undefined {
    if (sid.charCodeAt(0) !== 0x77 /* w */) return undefined;
    const dot = sid.indexOf('.');
    if (dot < 2) return undefined;
    const index = Number(sid.slice(1, dot));
    if (!Number.isInteger(index) || index === this.#mesh.index || index < 0 || index >= this.#mesh.size)
      return undefined;
    return index;
  }

  /**
   * The worker that continues session `sid` (a session another process served, see
   * SessionPeers.home): the one its id names, wrapped to this pool's size; undefined for this one.
   */
  home(sid: string): number | undefined {
    const dot = sid.indexOf('.');
    const named = sid.charCodeAt(0) === 0x77 /* w */ && dot > 1 ? Number(sid.slice(1, dot)) : Number.NaN;
    let index = Number.isInteger(named) && named >= 0 ? named % this.#mesh.size : 0;
    if (!Number.isInteger(named)) {
      // Not an id of ours: any fixed choice works, so spread them by a cheap hash.
      let h = 0;
      for (let i = 0; i < sid.length; i++) h = (h * 31 + sid.charCodeAt(i)) >>> 0;
      index = h % this.#mesh.size;
    }
    return index === this.#mesh.index ? undefined : index;
  }

  forward(owner: number, request: ForwardedRequest, res: ServerResponse): void {
    const id = request.id ?? null;
    if (!this.#mesh.isUp(owner)) {
      // Its sessions died with it: 404 makes a 2025 client initialize a new one.
      answer(res, 404, ErrorCode.INVALID_REQUEST, 'Session not found: initialize a new session', id);
      return;
    }
    const f = ++this.#next;
    this.#pending.set(f, { res, owner, id });
    res.once('close', () => {
      // Closed before the owner's last frame: the client went away (or we cut a slow stream).
      if (this.#pending.delete(f)) this.#mesh.send(owner, 'http:gone', f);
    });
    this.forwarded++;
    if (!this.#mesh.send(owner, 'http:req', { f, r: request } satisfies RequestFrame)) {
      this.#pending.delete(f);
      answer(res, 503, ErrorCode.GLOBAL_OVERLOADED, `Service Unavailable: worker ${owner} is not taking requests`, id, {
        reason: 'worker_busy',
        retryAfterMs: 1000,
      });
    }
  }

  /** Forwarded requests waiting for their owner's answer, and requests served for others. */
  get inFlight(): { forwarded: number; served: number } {
    return { forwarded: this.#pending.size, served: this.#remote.size };
  }

  // ---- internals ------------------------------------------------------------------------

  #onRequest(from: number, frame: RequestFrame): void {
    const key = `${from}:${frame.f}`;
    const rr = new RemoteResponse((reply) => {
      (reply as ReplyFrame).f = frame.f;
      this.#mesh.send(from, 'http:res', reply);
    });
    this.#remote.set(key, rr);
    rr.once('close', () => this.#remote.delete(key));
    this.served++;
    const target = this.#target;
    const res = rr.asServerResponse();
    if (target === undefined) {
      answer(res, 503, ErrorCode.SESSION_CLOSING, 'the worker is starting', frame.r.id ?? null, {
        reason: 'worker_starting',
        retryAfterMs: 1000,
      });
      return;
    }
    target.serveForwarded(frame.r, res);
  }

  #onReply(frame: ReplyFrame): void {
    const p = this.#pending.get(frame.f);
    if (p === undefined) return; // its client went away; the owner was told
    // The owner ended (or abandoned) it: nothing to tell it when the response closes.
    if (frame.end === true) this.#pending.delete(frame.f);
    replayFrame(p.res, frame, this.#maxBufferedBytes);
  }

  #peerDown(index: number): void {
    for (const [f, p] of this.#pending) {
      if (p.owner !== index) continue;
      this.#pending.delete(f);
      if (!p.res.headersSent) {
        answer(
          p.res,
          503,
          ErrorCode.SESSION_CLOSING,
          `the worker thread holding this session stopped (worker ${index}); initialize a new session`,
          p.id,
          { reason: 'worker_exited' },
        );
      } else {
        p.res.end();
      }
    }
    const prefix = `${index}:`;
    for (const [key, rr] of this.#remote) if (key.startsWith(prefix)) rr.gone();
  }
}
