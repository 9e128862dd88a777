import type {
  AnyChildSpec,
  Child,
  ChildSpec,
  ExitReason,
  RestartType,
  ShutdownMs,
} from '../../src/supervision/child.js';
import { describeEvent } from '../../src/supervision/events.js';
import { ExitNotifier } from '../../src/supervision/exit-notifier.js';
import type { Supervisor } from '../../src/supervision/supervisor.js';

/** A child whose crashes, normal exits and stop behaviour the test controls. */
export class FakeChild implements Child {
  stopCalls = 0;
  killed = false;
  private readonly exit = new ExitNotifier();

  constructor(
    readonly id: string,
    /** 'ok': stop() exits at once; 'ignore': stop() never completes (forces a kill). */
    private readonly stopMode: 'ok' | 'ignore' | 'reject' = 'ok',
  ) {}

  stop(): Promise<void> | void {
    this.stopCalls++;
    if (this.stopMode === 'ignore') return new Promise(() => {});
    if (this.stopMode === 'reject') return Promise.reject(new Error('stop failed'));
    this.exit.exit('shutdown');
  }

  onExit(listener: (reason: ExitReason) => void): void {
    this.exit.onExit(listener);
  }

  kill(): void {
    this.killed = true;
  }

  crash(message = 'crash'): void {
    this.exit.exit(new Error(message));
  }

  finish(): void {
    this.exit.exit('normal');
  }

  get exited(): ExitReason | undefined {
    return this.exit.exitReason;
  }
}

export interface FakeOptions {
  restart?: RestartType;
  shutdownMs?: ShutdownMs;
  stopMode?: 'ok' | 'ignore' | 'reject';
  /** Resolve start() after a microtask instead of synchronously. */
  async?: boolean;
}

/** Builds fake child specs and records every supervisor event as a short string. */
export class Harness {
  readonly log: string[] = [];
  /** The latest instance started for each id. */
  readonly live = new Map<string, FakeChild>();
  /** Ids whose start() throws while listed here. */
  readonly failing = new Set<string>();
  starts = 0;

  spec(id: string, opts: FakeOptions = {}): AnyChildSpec {
    const spec: ChildSpec = {
      id,
      start: () => this.make(id, opts),
      restart: opts.restart ?? 'permanent',
    };
    if (opts.shutdownMs !== undefined) spec.shutdownMs = opts.shutdownMs;
    return spec;
  }

  /** A simple_one_for_one template: instances are named after their first argument. */
  template(id: string, opts: FakeOptions = {}): AnyChildSpec {
    return { id, restart: opts.restart ?? 'permanent', start: (name: string) => this.make(name, opts) };
  }

  make(id: string, opts: FakeOptions): FakeChild | Promise<FakeChild> {
    this.starts++;
    if (this.failing.has(id)) throw new Error(`boom ${id}`);
    const child = new FakeChild(id, opts.stopMode);
    this.live.set(id, child);
    return opts.async ? Promise.resolve().then(() => child) : child;
  }

  child(id: string): FakeChild {
    const c = this.live.get(id);
    if (!c) throw new Error(`no child ${id}`);
    return c;
  }

  /** Records `sup`'s events; with a prefix (for nested trees) as `'<prefix>: <event>'`. */
  watch(sup: Supervisor, prefix?: string): Supervisor {
    sup.on('event', (e) => this.log.push(prefix ? `${prefix}: ${describeEvent(e)}` : describeEvent(e)));
    return sup;
  }

  /** Returns and clears the log. */
  take(): string[] {
    return this.log.splice(0);
  }
}
