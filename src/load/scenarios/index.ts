import type { ScenarioName } from '../options.js';
import { baseline } from './baseline.js';
import { bombing } from './bombing.js';
import { chaos } from './chaos.js';
import { cluster } from './cluster.js';
import { custom } from './custom.js';
import { flood } from './flood.js';
import { idle } from './idle.js';
import { recovery } from './recovery.js';
import { steps } from './steps.js';
import type { Scenario } from './types.js';

export type { Scenario } from './types.js';

/** Every `--scenario`, by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  baseline,
  flood,
  bombing,
  steps,
  idle,
  chaos,
  recovery,
  cluster,
  custom,
};
