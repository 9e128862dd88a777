/**
 * Messages between the worker threads of one process. Each worker has an inbox: a native
 * ring (`RingQueue.open`, bounded, shared by every thread) that any worker pushes JSON frames
 * into, and a doorbell: one Int32 slot of a SharedArrayBuffer that the sender increments and
 * `Atomics.notify`s. The owner waits on its slot with `Atomics.waitAsync`, so a frame wakes
 * its event loop within microseconds without a MessagePort or a poll (docs/workers.md).
 *
 * Per sender, frames arrive in the order they were sent (the ring is FIFO and a sender pushes
 * from one thread). A frame a full inbox refuses waits in the sender's outbox and is pushed
 * again shortly: nothing is dropped while the target is up. Sending to a worker that is down
 * fails at once (`send` answers false), and the pool tells every worker when a peer goes down
 * or comes back ({@link WorkerMesh.peerDown}, {@link WorkerMesh.peerUp}).
 */
import { ErlmcpError, invalidArg } from '../core/errors.js';
import { RingQueue } from '../core/ring.js';

/** What every worker of one pool shares: created by the pool, passed in `workerData`. */
export interface MeshShared {
  /** Names the inbox rings: `${name}:inbox:${index}`. */
  readonly name: string;
  /** Workers in the pool. */
  readonly size: number;
  /** `size` doorbells, then `size` liveness slots (the worker's generation while up, 0 while down). */
  readonly slots: SharedArrayBuffer;
  /** Frames an inbox holds (default 65,536). */
  readonly capacity?: number;
}

/** Creates the shared part of a mesh of `size` workers (in the thread that starts them). */
export function createMeshShared(name: string, size: number, capacity = 65_536): MeshShared {
  if (!Number.isInteger(size) || size < 1) throw invalidArg(`size must be a positive integer, got ${String(size)}`);
  return { name, size, slots: new SharedArrayBuffer(8 * size), capacity };
}

/** Marks worker `index` up with `generation` (> 0) or down (0): the pool does this. */
export function setPeerState(shared: MeshShared, index: number, generation: number): void {
  Atomics.store(new Int32Array(shared.slots), shared.size + index, generation);
}

/** A handler of one message kind: `from` is the sending worker. */
export type MeshHandler = (from: number, body: unknown) => void;

/** Frames kept per target while its inbox is full; one more and `send` answers false. */
const MAX_OUTBOX = 100_000;
/** Frames handled per wake-up before yielding to the event loop. */
const DRAIN_BATCH = 4_096;
/** How long `call` waits for a reply by default. */
const CALL_TIMEOUT_MS = 2_000;

/** `Atomics.waitAsync` (V8 since Node 16; TypeScript types it only from lib es2024). */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: boolean; value: Promise<unknown> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

interface Call {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  to: number;
}

/** One worker's end of the mesh. */
export class WorkerMesh {
  /** This worker's index in the pool. */
  readonly index: number;
  /** Workers in the pool. */
  readonly size: number;
  readonly #doorbells: Int32Array;
  readonly #rings: RingQueue[];
  readonly #handlers = new Map<string, MeshHandler>();
  readonly #outbox: string[][];
  readonly #calls = new Map<number, Call>();
  readonly #answerers = new Map<string, (from: number, body: unknown) => unknown>();
  readonly #downListeners = new Set<(index: number) => void>();
  readonly #upListeners = new Set<(index: number) => void>();
  #seen: number;
  #nextCall = 0;
  #closed = false;
  #flushTimer: NodeJS.Timeout | undefined;
  #draining = false;

  constructor(shared: MeshShared, index: number) {
    if (!Number.isInteger(index) || index < 0 || index >= shared.size)
      throw invalidArg(`index must be in 0..${shared.size - 1}, got ${String(index)}`);
    this.index = index;
    this.size = shared.size;
    this.#doorbells = new Int32Array(shared.slots);
    const options = { capacity: shared.capacity ?? 65_536, warnAt: 0.9, rejectAt: 1 };
    this.#rings = Array.from({ length: shared.size }, (_, i) => RingQueue.open(`${shared.name}:inbox:${i}`, options));
    this.#outbox = Array.from({ length: shared.size }, () => []);
    // Frames left from this index's previous worker were for sessions and calls that died with it.
    (this.#rings[index] as RingQueue).clear();
    this.#seen = Atomics.load(this.#doorbells, index);
    this.#handlers.set('~call', (from, body) => this.#onCall(from, body as CallFrame));
    this.#handlers.set('~reply', (from, body) => this.#onReply(from, body));
    this.#arm();
  }

  /** True while worker `index` is up (this one included). */
  isUp(index: number): boolean {
    return Atomics.load(this.#doorbells, this.size + index) > 0;
  }

  /** Registers the handler of `kind` (one per kind). */
  on(kind: string, handler: MeshHandler): void {
    if (this.#handlers.has(kind)) throw new ErlmcpError('ERR_ALREADY_STARTED', `mesh handler for ${kind} already set`);
    this.#handlers.set(kind, handler);
  }

  /** Listens for a peer going down (its crash or stop; called once per event). */
  onPeerDown(listener: (index: number) => void): () => void {
    this.#downListeners.add(listener);
    return () => this.#downListeners.delete(listener);
  }

  /** Listens for a peer (re)starting. */
  onPeerUp(listener: (index: number) => void): () => void {
    this.#upListeners.add(listener);
    return () => this.#upListeners.delete(listener);
  }

  /**
   * Sends `body` (JSON-serializable) to worker `to` as `kind`. False when `to` is down, this
   * mesh is closed, or `to` has stopped reading (its inbox and this worker's outbox are full).
   */
  send(to: number, kind: string, body: unknown): boolean {
    if (this.#closed || !this.isUp(to)) return false;
    const frame = JSON.stringify([kind, this.index, body]);
    const outbox = this.#outbox[to] as string[];
    if (outbox.length > 0) {
      // Keep the order: behind what is already waiting.
      if (outbox.length >= MAX_OUTBOX) return false;
      outbox.push(frame);
      return true;
    }
    if ((this.#rings[to] as RingQueue).push(frame) === 'rejected') {
      outbox.push(frame);
      this.#scheduleFlush();
    }
    this.#ring(to);
    return true;
  }

  /**
   * Asks worker `to` and resolves with what its `~call` handler for `kind` answered; rejects
   * with ERR_WORKER_UNAVAILABLE when it is down or does not answer within `timeoutMs`.
   */
  call(to: number, kind: string, body: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = ++this.#nextCall;
      const timer = setTimeout(() => {
        this.#calls.delete(id);
        reject(unavailable(`worker ${to} did not answer ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#calls.set(id, { resolve, reject, timer, to });
      if (!this.send(to, '~call', { id, kind, body })) {
        clearTimeout(timer);
        this.#calls.delete(id);
        reject(unavailable(`worker ${to} is not running`));
      }
    });
  }

  /** Serves `call(…, kind, …)` from other workers: the answer (or promise of it) goes back. */
  answer(kind: string, handler: (from: number, body: unknown) => unknown): void {
    if (this.#answerers.has(kind))
      throw new ErlmcpError('ERR_ALREADY_STARTED', `mesh answerer for ${kind} already set`);
    this.#answerers.set(kind, handler);
  }

  /** @internal The pool reports that `index` went down: fail what waits on it, tell listeners. */
  peerDown(index: number): void {
    (this.#outbox[index] as string[]).length = 0;
    for (const [id, c] of this.#calls) {
      if (c.to !== index) continue;
      this.#calls.delete(id);
      clearTimeout(c.timer);
      c.reject(unavailable(`worker ${index} stopped before answering`));
    }
    for (const l of this.#downListeners) l(index);
  }

  /** @internal The pool reports that `index` is up again. */
  peerUp(index: number): void {
    for (const l of this.#upListeners) l(index);
  }

  /** Stops reading; later sends answer false. Pending calls reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    for (const c of this.#calls.values()) {
      clearTimeout(c.timer);
      c.reject(unavailable('the worker mesh closed'));
    }
    this.#calls.clear();
    // Wake our own waiter so it sees #closed and stops re-arming.
    this.#ring(this.index);
  }

  // ---- internals ------------------------------------------------------------------------

  #ring(to: number): void {
    Atomics.add(this.#doorbells, to, 1);
    Atomics.notify(this.#doorbells, to);
  }

  #arm(): void {
    if (this.#closed) return;
    const r = waitAsync(this.#doorbells, this.index, this.#seen);
    if (r.async) (r.value as Promise<unknown>).then(this.#wake);
    else queueMicrotask(this.#wake);
  }

  readonly #wake = (): void => {
    if (this.#closed) return;
    this.#seen = Atomics.load(this.#doorbells, this.index);
    this.#drain();
    this.#arm();
  };

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      const ring = this.#rings[this.index] as RingQueue;
      const frames = ring.drain(DRAIN_BATCH);
      for (const f of frames) this.#dispatch(f);
      // More than one batch waiting: finish after other work had a turn.
      if (frames.count === DRAIN_BATCH) setImmediate(() => this.#drain());
    } finally {
      this.#draining = false;
    }
  }

  #dispatch(frame: Buffer): void {
    let kind: string;
    let from: number;
    let body: unknown;
    try {
      [kind, from, body] = JSON.parse(frame.toString('utf8')) as [string, number, unknown];
    } catch {
      return; // Only our own code writes these rings; a torn frame cannot happen.
    }
    const handler = this.#handlers.get(kind);
    if (handler === undefined) return;
    try {
      handler(from, body);
    } catch (err) {
      // A handler bug must not stop the inbox: the other frames are other requests.
      process.emitWarning(`erlmcp worker mesh: handler for ${kind} threw: ${(err as Error).message}`);
    }
  }

  #onCall(from: number, frame: CallFrame): void {
    const answerer = this.#answerers.get(frame.kind);
    const reply = (ok: boolean, value: unknown) => this.send(from, '~reply', { id: frame.id, ok, value });
    if (answerer === undefined) {
      reply(false, `no handler for ${frame.kind} on worker ${this.index}`);
      return;
    }
    Promise.resolve()
      .then(() => answerer(from, frame.body))
      .then(
        (value) => reply(true, value),
        (err: unknown) => reply(false, err instanceof Error ? err.message : String(err)),
      );
  }

  #onReply(_from: number, body: unknown): void {
    const r = body as { id: number; ok: boolean; value: unknown };
    const c = this.#calls.get(r.id);
    if (c === undefined) return; // timed out already
    this.#calls.delete(r.id);
    clearTimeout(c.timer);
    if (r.ok) c.resolve(r.value);
    else c.reject(new ErlmcpError('ERR_WORKER_CALL', String(r.value)));
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      let waiting = false;
      for (let to = 0; to < this.size; to++) {
        const outbox = this.#outbox[to] as string[];
        if (outbox.length === 0) continue;
        const ring = this.#rings[to] as RingQueue;
        let n = 0;
        while (n < outbox.length && ring.push(outbox[n] as string) !== 'rejected') n++;
        if (n > 0) {
          outbox.splice(0, n);
          this.#ring(to);
        }
        if (outbox.length > 0) waiting = true;
      }
      if (waiting) this.#scheduleFlush();
    }, 1);
  }
}

interface CallFrame {
  id: number;
  kind: string;
  body: unknown;
}

function unavailable(message: string): ErlmcpError {
  return new ErlmcpError('ERR_WORKER_UNAVAILABLE', message);
}
