/**
 * A run's settings: the flags given, completed with the scenario's defaults, after checking
 * that every flag given means something to that scenario.
 */

import { type LoadFlags, type LoadTransport, optionsError, type ScenarioName, type ValueFlag } from './options.js';
import { isLoopbackHost } from './sources.js';

/** A scenario's defaults; see docs/load.md for each. */
export interface ScenarioDefaults {
  sessions: number;
  /** Total requests per second; when absent the rate is `perSessionRate` x sessions. */
  rate?: number;
  perSessionRate?: number;
  durationSec: number;
  rampRate: number;
  inflight: number;
  steps?: number[];
  /** Nodes of a self-started cluster (cluster scenario). */
  nodes?: number;
}

/** Everything a run uses, resolved. */
export interface LoadSettings {
  scenario: ScenarioName;
  /** The target; undefined: the harness starts the server. */
  url: URL | undefined;
  transport: LoadTransport;
  /** Sessions (steps: the last step). */
  sessions: number;
  /** Session counts of `steps`; [sessions] otherwise. */
  steps: number[];
  /** Total requests per second (at `sessions` sessions). */
  rate: number;
  /** Requests per second per session. */
  perSessionRate: number;
  durationSec: number;
  rampRate: number;
  inflight: number;
  /** Nodes a self-started cluster has (1 for every scenario but cluster). */
  nodes: number;
  /** --sources: a fixed count of loopback source addresses. */
  sources: number | undefined;
  timeoutMs: number;
  json: string | undefined;
  html: string | undefined;
  quiet: boolean;
  allowRemote: boolean;
}

const GIVEN: Record<ValueFlag, (f: LoadFlags) => unknown> = {
  '--sessions': (f) => f.sessions,
  '--rate': (f) => f.rate,
  '--per-session-rate': (f) => f.perSessionRate,
  '--duration': (f) => f.duration,
  '--ramp-rate': (f) => f.rampRate,
  '--steps': (f) => f.steps,
  '--inflight': (f) => f.inflight,
  '--nodes': (f) => f.nodes,
};

/**
 * Resolves `flags` for a scenario that reads `accepts` with `defaults`. A value flag the
 * scenario does not read fails (a silently ignored flag would make a user believe they
 * measured something they did not), as does a non-loopback --url without --allow-remote.
 */
export function resolveSettings(
  flags: LoadFlags,
  accepts: readonly ValueFlag[],
  defaults: ScenarioDefaults,
): LoadSettings {
  for (const [flag, get] of Object.entries(GIVEN) as [ValueFlag, (f: LoadFlags) => unknown][]) {
    if (get(flags) !== undefined && !accepts.includes(flag)) {
      throw optionsError(
        `${flag} does not apply to --scenario ${flags.scenario} (it reads ${accepts.join(', ') || 'no value flags'})`,
      );
    }
  }
  if (flags.url !== undefined && !flags.allowRemote && !isLoopbackHost(flags.url.hostname)) {
    throw optionsError(
      `--url ${flags.url.href} is not a loopback address: load is only sent to another machine with --allow-remote`,
    );
  }
  const steps = flags.steps ?? defaults.steps ?? [flags.sessions ?? defaults.sessions];
  const sessions = steps[steps.length - 1] as number;
  let rate: number;
  let perSessionRate: number;
  if (flags.rate !== undefined) {
    rate = flags.rate;
    perSessionRate = rate / sessions;
  } else if (flags.perSessionRate !== undefined) {
    perSessionRate = flags.perSessionRate;
    rate = perSessionRate * sessions;
  } else if (defaults.rate !== undefined) {
    rate = defaults.rate;
    perSessionRate = rate / sessions;
  } else {
    perSessionRate = defaults.perSessionRate ?? 0;
    rate = perSessionRate * sessions;
  }
  return {
    scenario: flags.scenario,
    url: flags.url,
    transport: flags.transport,
    sessions,
    steps,
    rate,
    perSessionRate,
    durationSec: flags.duration ?? defaults.durationSec,
    rampRate: flags.rampRate ?? defaults.rampRate,
    inflight: flags.inflight ?? defaults.inflight,
    nodes: flags.nodes ?? defaults.nodes ?? 1,
    sources: flags.sources,
    timeoutMs: flags.timeoutMs,
    json: flags.json,
    html: flags.html,
    quiet: flags.quiet,
    allowRemote: flags.allowRemote,
  };
}
