import { RawResult } from '../jsonrpc.js';

/**
 * List pages serialized once per change of the list (not once per request), per era and
 * cursor. Cleared whenever the list changes; bounded, because cursors are client input.
 */
export class PageCache {
  readonly #pages = new Map<string, RawResult>();
  readonly #max: number;

  constructor(max = 64) {
    this.#max = max;
  }

  /** The cached page for `key`, or builds, serializes and keeps it. */
  get(key: string, build: () => Record<string, unknown>): RawResult {
    const hit = this.#pages.get(key);
    if (hit !== undefined) return hit;
    const raw = new RawResult(build());
    if (this.#pages.size >= this.#max) this.#pages.clear();
    this.#pages.set(key, raw);
    return raw;
  }

  clear(): void {
    this.#pages.clear();
  }
}
