import { runSteady, steadyExpectedSec, steadyParams } from './steady.js';
import type { Scenario } from './types.js';

/** No preset: steady open-loop load shaped by the flags alone. */
export const custom: Scenario = {
  name: 'custom',
  describe: 'steady open-loop load from the flags (default 25 sessions, 2,500 req/s, 10 s)',
  accepts: ['--sessions', '--rate', '--per-session-rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: { sessions: 25, rate: 2_500, durationSec: 10, rampRate: 500, inflight: 64 },
  expectedSec: steadyExpectedSec,
  params: steadyParams,
  run: (ctx) => runSteady(ctx),
};
