import { ErlmcpError, MAX_HANDLE } from '../core/errors.js';
import type { ShardedRegistry } from '../core/registry.js';

/** Handles per claimed block (default of {@link HandleBlocks}). */
export const DEFAULT_BLOCK_SIZE = 1024;

/**
 * Allocates registry handles that are unique in the whole process, even when several
 * worker_threads share one native registry. Each allocator claims blocks of `blockSize`
 * consecutive handles by registering the key `b<n>` in a shared native `claims` registry:
 * the native `register` admits exactly one claimant per block, so two allocators (in one
 * thread or in different ones) never own the same block, with nothing for the caller to pass
 * between workers. Handles released by their owner are reused by that owner only (a free
 * list), so a long-running process with churn does not run through the 31-bit range.
 * Blocks are never returned: a worker that exits keeps its blocks claimed.
 *
 * A block's claim records a `tag` (its block number unless given): a pool worker tags its
 * blocks with its worker index, so any thread can tell from a handle alone which worker owns
 * the object behind it ({@link tagOf}), with nothing sent between them.
 * @internal
 */
export class HandleBlocks {
  readonly #claims: ShardedRegistry;
  readonly #blockSize: number;
  readonly #tag: number | undefined;
  /** Block -> tag: a block's claim never changes, so a tag read once stays true. */
  readonly #tags = new Map<number, number>();
  readonly #free: number[] = [];
  /** Next block index to try: blocks below it are known to be taken. */
  #nextBlock = 0;
  #cursor = 0;
  #end = 0;

  constructor(claims: ShardedRegistry, blockSize: number = DEFAULT_BLOCK_SIZE, tag?: number) {
    this.#claims = claims;
    this.#blockSize = blockSize;
    this.#tag = tag;
  }

  /** The tag of the block `handle` belongs to, whoever claimed it; undefined when unclaimed. */
  tagOf(handle: number): number | undefined {
    const block = Math.floor(handle / this.#blockSize);
    let tag = this.#tags.get(block);
    if (tag === undefined) {
      tag = this.#claims.lookup(`b${block}`);
      if (tag !== undefined) this.#tags.set(block, tag);
    }
    return tag;
  }

  /** A handle no other allocator on `claims` hands out. Throws ERR_HANDLES_EXHAUSTED past 2^31 handles. */
  acquire(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#cursor === this.#end) this.#claimBlock();
    return this.#cursor++;
  }

  /** Gives `handle` back for reuse by this allocator; call only once its key is unregistered. */
  release(handle: number): void {
    this.#free.push(handle);
  }

  #claimBlock(): void {
    const maxBlock = Math.floor((MAX_HANDLE + 1) / this.#blockSize);
    for (let b = this.#nextBlock; b < maxBlock; b++) {
      if (this.#claims.register(`b${b}`, this.#tag ?? b)) {
        this.#nextBlock = b + 1;
        this.#cursor = b * this.#blockSize;
        this.#end = this.#cursor + this.#blockSize;
        return;
      }
    }
    throw new ErlmcpError('ERR_HANDLES_EXHAUSTED', 'every block of registry handles is claimed');
  }
}
