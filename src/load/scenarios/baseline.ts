import { runSteady, steadyExpectedSec, steadyParams } from './steady.js';
import type { Scenario } from './types.js';

/** The reference point every other scenario is compared with: light steady load. */
export const baseline: Scenario = {
  name: 'baseline',
  describe: '25 sessions, 2,500 req/s in total, 10 s',
  accepts: ['--sessions', '--rate', '--per-session-rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: { sessions: 25, rate: 2_500, durationSec: 10, rampRate: 500, inflight: 64 },
  expectedSec: steadyExpectedSec,
  params: steadyParams,
  run: (ctx) => runSteady(ctx),
};
