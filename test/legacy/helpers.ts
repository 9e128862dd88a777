import { EventEmitter } from 'node:events';
import type { McpMessageEnvelope, McpResponseEnvelope } from '../../src/legacy/index.js';

/** A server endpoint that records what it receives. */
export function recorder<E = McpMessageEnvelope | McpResponseEnvelope>(): { deliver(e: E): void; got: E[] } {
  const got: E[] = [];
  return { deliver: (e: E) => void got.push(e), got };
}

/** An endpoint that reports its exit through `onExit`, like a supervised child. */
export class Child<E = unknown> {
  readonly got: E[] = [];
  #listeners = new Set<(reason?: unknown) => void>();

  deliver(e: E): void {
    this.got.push(e);
  }

  onExit(listener: (reason?: unknown) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Simulates the exit (normal or crash). */
  exit(reason?: unknown): void {
    for (const l of [...this.#listeners]) l(reason);
  }

  get watchers(): number {
    return this.#listeners.size;
  }
}

/** An EventEmitter endpoint (like a socket or a Worker) that emits 'close' or 'exit'. */
export class EmitterEndpoint<E = unknown> extends EventEmitter {
  readonly got: E[] = [];

  deliver(e: E): void {
    this.got.push(e);
  }
}
