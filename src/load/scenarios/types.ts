import type { RunContext } from '../context.js';
import type { ScenarioName, ValueFlag } from '../options.js';
import type { ServerSettings } from '../server-process.js';
import type { LoadSettings, ScenarioDefaults } from '../settings.js';

/** One `--scenario`: its defaults, the flags it reads and how it runs. */
export interface Scenario {
  name: ScenarioName;
  /** One line for the usage text. */
  describe: string;
  /** Value flags it reads; any other value flag given fails the run with exit code 2. */
  accepts: readonly ValueFlag[];
  defaults: ScenarioDefaults;
  /** What a self-started server needs besides maxConnections (a limiting bucket, fault injection). */
  server?: Omit<ServerSettings, 'maxConnections'>;
  /** Runs against a cluster (cluster-target.ts): the nodes the harness starts, or --url's. */
  cluster?: boolean;
  /** Seconds the scenario should take with `s` (the watchdog allows twice that plus a margin). */
  expectedSec(s: LoadSettings): number;
  /** The parameters it ran with, for the report. */
  params(s: LoadSettings): Record<string, number | string | boolean>;
  /** Drives the run; leaves the final drain, closing and the report to the engine. */
  run(ctx: RunContext): Promise<void>;
  /** Computes findings that need the whole timeline, after the last window closed. */
  conclude?(ctx: RunContext): void;
}
