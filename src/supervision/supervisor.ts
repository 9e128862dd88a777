import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import { ErlmcpError, invalidArg } from '../core/errors.js';
import {
  type AnyChildSpec,
  type Child,
  type ChildType,
  type ExitReason,
  isChild,
  type NormalizedSpec,
  normalizeSpec,
  type RestartType,
  shouldRestart,
  toExitReason,
} from './child.js';
import { logEvent, type SupervisorEvent } from './events.js';
import { ExitNotifier } from './exit-notifier.js';
import { DEFAULT_INTENSITY, DEFAULT_PERIOD_MS, RestartIntensity } from './intensity.js';
import { type ChildRecord, isRunning, newRecord } from './record.js';
import { stopRecord } from './shutdown.js';
import { strategyFor } from './strategies/index.js';
import type { RestartStrategy, StrategyName } from './strategies/strategy.js';

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** Names the supervisor in events, log lines and errors. Default `'supervisor'`. */
  name?: string;
  /** Default `'one_for_one'`. */
  strategy?: StrategyName;
  /** Restarts allowed within `periodMs` before giving up. Default 5. */
  intensity?: number;
  /** The intensity window in milliseconds. Default 60000. */
  periodMs?: number;
  /**
   * Child specs, started in this order by `start()`. For simple_one_for_one: exactly one spec,
   * the template, and nothing is started until `startChild(args)`. Default `[]`.
   */
  children?: AnyChildSpec[];
  /** Where lifecycle lines go. Default: a silent logger. */
  logger?: Logger;
  /** Milliseconds now, for the intensity window. Default `Date.now`; tests inject a fake. */
  clock?: () => number;
}

/** The lifecycle of a supervisor. */
export type SupervisorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** One row of {@link Supervisor.whichChildren}. */
export interface ChildInfo {
  id: string;
  type: ChildType;
  restart: RestartType;
  /** `'running'` from a successful start until its exit is known; else `'stopped'`. */
  status: 'running' | 'stopped';
  /** Times the restart logic started this child again. */
  restarts: number;
}

/** The result of {@link Supervisor.countChildren} (OTP's count_children). */
export interface ChildCounts {
  /** Child specs held, running or not. */
  specs: number;
  /** Children running. */
  active: number;
  /** Specs of type 'supervisor'. */
  supervisors: number;
  /** Specs of type 'worker'. */
  workers: number;
}

/** The error a supervisor exits with when restart intensity is exceeded. */
export class SupervisorShutdownError extends ErlmcpError {
  constructor(
    /** The supervisor that gave up. */
    readonly supervisor: string,
    /** The child whose exit exceeded the intensity. */
    readonly childId: string,
    /** Restarts within the window, including the refused one. */
    readonly restarts: number,
    periodMs: number,
    cause: ExitReason,
  ) {
    super(
      'ERR_SUPERVISOR_SHUTDOWN',
      `supervisor "${supervisor}" gave up: child "${childId}" exited and ${restarts} restarts within ${periodMs} ms exceed the intensity`,
      { cause },
    );
    this.name = 'SupervisorShutdownError';
  }
}

/**
 * An OTP-style supervisor. It starts its children in order, watches their exits, restarts them
 * per strategy and restart type within the restart intensity, and stops them in reverse order.
 * It is itself a {@link Child}, so supervisors nest: a supervisor that gives up exits with a
 * {@link SupervisorShutdownError}, which its parent sees as a crash.
 *
 * Every operation that changes children runs in one queue, one at a time, so exits that arrive
 * during a restart or a dynamic call are handled after it, in arrival order — the equivalent of
 * the single mailbox of an OTP supervisor.
 *
 * Emits `'event'` with a {@link SupervisorEvent} for every lifecycle step. The root of a tree
 * learns of its failure through `onExit`, the `done` promise, or the `'terminated'` event.
 */
export class Supervisor extends EventEmitter<{ event: [SupervisorEvent] }> implements Child {
  /** The supervisor's name (option `name`, default `'supervisor'`). */
  readonly name: string;
  private readonly strategy: RestartStrategy;
  private readonly intensity: RestartIntensity;
  private readonly log: Logger;
  private readonly template: NormalizedSpec | undefined;
  private records: ChildRecord[] = [];
  private stateValue: SupervisorState = 'idle';
  private tail: Promise<unknown> = Promise.resolve();
  private readonly exit = new ExitNotifier();
  private nextDynamicId = 1;
  /**
   * Resolves with the supervisor's exit reason: `'shutdown'` after stop(), the start error if
   * start() failed, a SupervisorShutdownError after a give-up. Never rejects.
   */
  readonly done: Promise<ExitReason>;

  constructor(options: SupervisorOptions = {}) {
    super();
    this.name = options.name ?? 'supervisor';
    if (typeof this.name !== 'string') throw invalidArg('supervisor name must be a string');
    this.strategy = strategyFor(options.strategy ?? 'one_for_one');
    this.intensity = new RestartIntensity(
      options.intensity ?? DEFAULT_INTENSITY,
      options.periodMs ?? DEFAULT_PERIOD_MS,
      options.clock ?? Date.now,
    );
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ supervisor: this.name });
    const specs = (options.children ?? []).map(normalizeSpec);
    if (this.strategy.dynamic) {
      if (specs.length !== 1) throw invalidArg('simple_one_for_one takes exactly one child spec (the template)');
      this.template = specs[0];
    } else {
      const seen = new Set<string>();
      for (const spec of specs) {
        if (seen.has(spec.id)) throw duplicate(this.name, spec.id);
        seen.add(spec.id);
        this.records.push(newRecord(spec.id, spec));
      }
    }
    this.done = new Promise((resolve) => this.exit.onExit(resolve));
  }

  /** Where the supervisor is in its lifecycle. */
  get state(): SupervisorState {
    return this.stateValue;
  }

  /**
   * Starts the children in order. If one fails to start, those already started are stopped in
   * reverse order and this rejects with ERR_CHILD_START (the supervisor is then stopped).
   * ERR_ALREADY_STARTED when called twice.
   */
  start(): Promise<void> {
    if (this.stateValue !== 'idle') {
      return Promise.reject(new ErlmcpError('ERR_ALREADY_STARTED', `supervisor "${this.name}" was already started`));
    }
    this.stateValue = 'starting';
    return this.enqueue(async () => {
      for (const rec of this.records) {
        try {
          await this.startRecord(rec, false);
        } catch (err) {
          this.stateValue = 'stopping';
          await this.stopList(this.records.filter((r) => r.child !== undefined));
          this.finish(err as Error);
          throw err;
        }
      }
      this.stateValue = 'running';
    });
  }

  /**
   * Stops every child (reverse start order; concurrently under simple_one_for_one) and exits
   * with `'shutdown'`. Idempotent: later calls wait for the same exit.
   */
  async stop(_reason: 'shutdown' = 'shutdown'): Promise<void> {
    if (this.stateValue === 'idle') {
      this.finish('shutdown');
      return;
    }
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') {
      await this.done;
      return;
    }
    await this.enqueue(async () => {
      if (this.stateValue !== 'running') return;
      this.stateValue = 'stopping';
      await this.stopList(this.records);
      this.finish('shutdown');
    });
    await this.done;
  }

  /** {@link Child.onExit}: lets a parent supervisor (or the application) watch this one. */
  onExit(listener: (reason: ExitReason) => void): void {
    this.exit.onExit(listener);
  }

  /**
   * {@link Child.kill}: what a parent does when this supervisor overran its shutdownMs. Every
   * running child is killed (`kill()`, or a `stop()` not waited for) and abandoned; the
   * supervisor exits with `'shutdown'` at once.
   */
  kill(): void {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopping';
    for (const rec of [...this.records].reverse()) {
      const child = rec.child;
      if (child === undefined) continue;
      rec.child = undefined;
      rec.stopWaiter?.('shutdown');
      this.emitEvent({ type: 'kill', supervisor: this.name, id: rec.id });
      try {
        if (child.kill) child.kill();
        else void Promise.resolve(child.stop('shutdown')).catch(() => {});
      } catch {
        // Abandoned anyway: nothing more can be done for a child that throws while killed.
      }
    }
    this.finish('shutdown');
  }

  /**
   * Adds and starts a child. With a spec (every strategy but simple_one_for_one): the spec is
   * kept only if its start succeeds. With args (simple_one_for_one): starts a child from the
   * template with `start(...args)`. Resolves with the child's id (dynamic ids are
   * `<template id>#<n>`). Errors: ERR_SUPERVISOR_NOT_RUNNING, ERR_CHILD_ALREADY_PRESENT,
   * ERR_INVALID_ARG (a spec given to simple_one_for_one or args to another strategy),
   * ERR_CHILD_START.
   */
  startChild(specOrArgs: AnyChildSpec | unknown[]): Promise<string> {
    return this.operation(async () => {
      let rec: ChildRecord;
      if (this.template) {
        if (!Array.isArray(specOrArgs)) throw invalidArg('simple_one_for_one startChild takes an argument array');
        rec = newRecord(`${this.template.id}#${this.nextDynamicId++}`, this.template, specOrArgs);
      } else {
        if (Array.isArray(specOrArgs)) throw invalidArg(`${this.strategy.name} startChild takes a child spec`);
        const spec = normalizeSpec(specOrArgs);
        if (this.find(spec.id)) throw duplicate(this.name, spec.id);
        rec = newRecord(spec.id, spec);
      }
      await this.startRecord(rec, false);
      this.records.push(rec);
      return rec.id;
    });
  }

  /**
   * Stops a child and keeps its spec (restartable with restartChild), except temporary and
   * simple_one_for_one children, which are removed as in OTP. A child already stopped is fine.
   * Errors: ERR_SUPERVISOR_NOT_RUNNING, ERR_CHILD_NOT_FOUND.
   */
  terminateChild(id: string): Promise<void> {
    return this.operation(async () => {
      const rec = this.get(id);
      await this.stopList([rec]);
      if (this.strategy.dynamic || rec.spec.restart === 'temporary') this.remove(rec);
    });
  }

  /**
   * Starts a stopped child again from its kept spec (not counted in the restart intensity).
   * Errors: ERR_SUPERVISOR_NOT_RUNNING, ERR_CHILD_NOT_FOUND, ERR_CHILD_RUNNING,
   * ERR_INVALID_ARG under simple_one_for_one, ERR_CHILD_START.
   */
  restartChild(id: string): Promise<void> {
    return this.operation(async () => {
      this.refuseDynamic('restartChild');
      const rec = this.get(id);
      if (isRunning(rec)) throw running(this.name, id, 'restart');
      this.forgetPendingExit(rec);
      await this.startRecord(rec, false);
    });
  }

  /**
   * Removes a stopped child's spec. Errors: ERR_SUPERVISOR_NOT_RUNNING, ERR_CHILD_NOT_FOUND,
   * ERR_CHILD_RUNNING, ERR_INVALID_ARG under simple_one_for_one.
   */
  deleteChild(id: string): Promise<void> {
    return this.operation(async () => {
      this.refuseDynamic('deleteChild');
      const rec = this.get(id);
      if (isRunning(rec)) throw running(this.name, id, 'delete');
      this.forgetPendingExit(rec);
      this.remove(rec);
    });
  }

  /** A snapshot of the children in start order (OTP's which_children). */
  whichChildren(): ChildInfo[] {
    return this.records.map((r) => ({
      id: r.id,
      type: r.spec.type,
      restart: r.spec.restart,
      status: isRunning(r) ? 'running' : 'stopped',
      restarts: r.restarts,
    }));
  }

  /** Counts of specs, running children, supervisors and workers (OTP's count_children). */
  countChildren(): ChildCounts {
    let active = 0;
    let supervisors = 0;
    for (const r of this.records) {
      if (isRunning(r)) active++;
      if (r.spec.type === 'supervisor') supervisors++;
    }
    return { specs: this.records.length, active, supervisors, workers: this.records.length - supervisors };
  }

  /**
   * Resolves once no operation (restart, dynamic call, stop) is queued or running. Exits are
   * handled asynchronously; await this to observe their effect.
   */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail);
  }

  // --- internals -------------------------------------------------------------------------

  /** Runs `op` in the queue; every API operation refuses a supervisor that is not running. */
  private operation<T>(op: () => Promise<T>): Promise<T> {
    if (this.stateValue !== 'running' && this.stateValue !== 'starting') {
      return Promise.reject(notRunning(this.name, this.stateValue));
    }
    return this.enqueue(async () => {
      // Re-checked here: a give-up or stop may have run between the call and its turn.
      if (this.stateValue !== 'running') throw notRunning(this.name, this.stateValue);
      return op();
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async startRecord(rec: ChildRecord, isRestart: boolean): Promise<void> {
    const generation = ++rec.generation;
    let child: Child;
    try {
      const started: unknown = await rec.spec.start(...rec.args);
      if (!isChild(started)) throw invalidArg(`start() of child "${rec.id}" did not return a Child`);
      child = started;
    } catch (err) {
      const error = toExitReason(err) as Error;
      this.emitEvent({ type: 'start_failed', supervisor: this.name, id: rec.id, error });
      throw new ErlmcpError(
        'ERR_CHILD_START',
        `supervisor "${this.name}": child "${rec.id}" failed to start: ${error.message}`,
        { cause: error },
      );
    }
    rec.child = child;
    rec.pendingExit = undefined;
    if (isRestart) rec.restarts++;
    this.emitEvent({ type: 'start', supervisor: this.name, id: rec.id, restart: isRestart });
    // Registered after the start event so a child that died during start() reads in order.
    child.onExit((reason) => this.childExited(rec, generation, toExitReason(reason)));
  }

  /** Called by a child's exit report, at any time. */
  private childExited(rec: ChildRecord, generation: number, reason: ExitReason): void {
    if (rec.generation !== generation || rec.child === undefined || rec.pendingExit !== undefined) return;
    if (rec.stopWaiter) {
      // We are stopping it: this exit completes the stop; it is not a failure.
      rec.stopWaiter(reason);
      return;
    }
    rec.pendingExit = reason;
    void this.enqueue(() => this.handleExit(rec, generation, reason)).catch((err: unknown) => {
      this.log.error({ err, child: rec.id }, 'internal error while handling a child exit');
    });
  }

  private async handleExit(rec: ChildRecord, generation: number, reason: ExitReason): Promise<void> {
    // Stale: the record was stopped, restarted or deleted while this exit waited its turn.
    if (rec.generation !== generation || rec.pendingExit === undefined) return;
    this.forgetPendingExit(rec);
    this.emitEvent({ type: 'exit', supervisor: this.name, id: rec.id, reason });
    if (this.stateValue !== 'running') return;
    if (!shouldRestart(rec.spec.restart, reason)) {
      // OTP drops the spec of a temporary child and of any finished simple_one_for_one child.
      if (rec.spec.restart === 'temporary' || this.strategy.dynamic) this.remove(rec);
      return;
    }
    await this.restart(rec, reason);
  }

  /** One restart round for `failed` (and, per strategy, its siblings). */
  private async restart(failed: ChildRecord, reason: ExitReason): Promise<void> {
    if (this.stateValue !== 'running' || !this.records.includes(failed) || isRunning(failed)) return;
    if (!this.intensity.record()) {
      await this.giveUp(failed, reason);
      return;
    }
    this.emitEvent({ type: 'restart', supervisor: this.name, id: failed.id, count: this.intensity.count });
    const affected = this.strategy.affected(this.records, failed);
    await this.stopList(affected.filter((r) => r !== failed));
    const started: ChildRecord[] = [];
    for (const rec of affected) {
      if (rec !== failed && rec.spec.restart === 'temporary') {
        this.remove(rec);
        continue;
      }
      try {
        await this.startRecord(rec, true);
        started.push(rec);
      } catch (err) {
        // OTP's try_again: undo this round and retry later, each try counting as a restart, so
        // a child that cannot start ends in a give-up instead of a busy loop.
        await this.stopList(started);
        void this.enqueue(() => this.restart(failed, err as Error));
        return;
      }
    }
  }

  private async giveUp(failed: ChildRecord, reason: ExitReason): Promise<void> {
    const error = new SupervisorShutdownError(
      this.name,
      failed.id,
      this.intensity.count,
      this.intensity.periodMs,
      reason,
    );
    this.emitEvent({ type: 'give_up', supervisor: this.name, id: failed.id, restarts: error.restarts, error });
    this.stateValue = 'stopping';
    await this.stopList(this.records);
    this.finish(error);
  }

  /** Stops the given children: reverse order one by one, or concurrently (simple_one_for_one). */
  private async stopList(list: readonly ChildRecord[]): Promise<void> {
    const live = list.filter((r) => {
      if (r.child === undefined) return false;
      // Already dead, its exit still queued: nothing to stop, and the queued exit is now stale.
      if (r.pendingExit !== undefined) {
        this.forgetPendingExit(r);
        return false;
      }
      return true;
    });
    if (this.strategy.shutdownOrder === 'concurrent') {
      await Promise.all(live.map((r) => this.stopOne(r)));
    } else {
      for (const r of [...live].reverse()) await this.stopOne(r);
    }
  }

  private async stopOne(rec: ChildRecord): Promise<void> {
    this.emitEvent({ type: 'stop', supervisor: this.name, id: rec.id });
    const outcome = await stopRecord(rec, (err) => {
      this.log.warn({ child: rec.id, err }, 'child stop failed; considered stopped');
    });
    if (outcome === 'killed') this.emitEvent({ type: 'kill', supervisor: this.name, id: rec.id });
  }

  private forgetPendingExit(rec: ChildRecord): void {
    rec.pendingExit = undefined;
    rec.child = undefined;
  }

  private finish(reason: ExitReason): void {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    this.emitEvent({ type: 'terminated', supervisor: this.name, reason });
    this.exit.exit(reason);
  }

  private emitEvent(e: SupervisorEvent): void {
    logEvent(this.log, e);
    this.emit('event', e);
  }

  private find(id: string): ChildRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  private get(id: string): ChildRecord {
    const rec = this.find(id);
    if (!rec) throw new ErlmcpError('ERR_CHILD_NOT_FOUND', `supervisor "${this.name}" has no child "${id}"`);
    return rec;
  }

  private remove(rec: ChildRecord): void {
    const i = this.records.indexOf(rec);
    if (i >= 0) this.records.splice(i, 1);
  }

  private refuseDynamic(call: string): void {
    if (this.strategy.dynamic) throw invalidArg(`${call} is not supported by simple_one_for_one`);
  }
}

function duplicate(sup: string, id: string): ErlmcpError {
  return new ErlmcpError('ERR_CHILD_ALREADY_PRESENT', `supervisor "${sup}" already has a child "${id}"`);
}

function running(sup: string, id: string, what: string): ErlmcpError {
  return new ErlmcpError('ERR_CHILD_RUNNING', `supervisor "${sup}": cannot ${what} child "${id}" while it runs`);
}

function notRunning(sup: string, state: SupervisorState): ErlmcpError {
  return new ErlmcpError('ERR_SUPERVISOR_NOT_RUNNING', `supervisor "${sup}" is ${state}`);
}
