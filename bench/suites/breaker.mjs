// Breaker-guarded async call: ours (run) vs opossum (fire) vs cockatiel (execute), same
// trivial async function; and the synchronous allow+record pair vs a plain-JS counter.
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import Opossum from 'opossum';
import { CircuitBreaker } from '../../dist/index.mjs';
import { awaitLoop, compare, sink } from '../lib.mjs';

export default async function breakerSuite() {
  const fn = async () => 1;
  const ours = new CircuitBreaker({ failureThreshold: 5, openMs: 30_000 });
  const opossum = new Opossum(fn, { timeout: false, resetTimeout: 30_000 });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  const rows = await compare(
    'breaker-guarded async call',
    awaitLoop(100, async () => {
      sink.value ^= await ours.run(fn);
    }),
    {
      opossum: awaitLoop(100, async () => {
        sink.value ^= await opossum.fire();
      }),
      cockatiel: awaitLoop(100, async () => {
        sink.value ^= await cockatiel.execute(fn);
      }),
    },
    { defer: true, perOp: 100 },
  );
  opossum.shutdown();

  let state = 0;
  let failures = 0;
  rows.push(
    ...(await compare(
      'breaker allow()+recordSuccess() (sync)',
      () => {
        if (ours.allow()) ours.recordSuccess();
      },
      {
        'plain-JS counter breaker': () => {
          if (state === 0) {
            failures = 0;
            sink.value ^= failures;
          }
          state = failures >= 5 ? 1 : 0;
        },
      },
    )),
  );
  return rows;
}
