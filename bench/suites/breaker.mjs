// Circuit breakers, closed (the common state). A guarded async call of the same trivial async
// function: CircuitBreaker.run vs opossum's fire (with its defaults, which arm a 10 s timeout
// timer per call, and with `timeout: false`, closer to what ours does) vs cockatiel's execute
// with a ConsecutiveBreaker(5). Every one runs 100 awaited calls per deferred iteration.
// Then the synchronous pair a router uses per message: allow() + recordSuccess() vs the same
// counter breaker in plain JS.
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import Opossum from 'opossum';
import { CircuitBreaker } from '../../dist/index.mjs';
import { awaitLoop, compare, sink } from '../lib.mjs';
import { JsCircuitBreaker } from '../peers.mjs';

const AWAITED = 100;

export default async function breakerSuite() {
  const fn = () => Promise.resolve(1);
  const ours = new CircuitBreaker({ failureThreshold: 5, openMs: 30_000 });
  const opossumDefault = new Opossum(fn);
  const opossumNoTimeout = new Opossum(fn, { timeout: false });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });

  const rows = await compare(
    'breaker-guarded async call (closed)',
    awaitLoop(AWAITED, async () => {
      sink.value ^= await ours.run(fn);
    }),
    {
      'opossum fire (defaults: 10 s timeout timer)': awaitLoop(AWAITED, async () => {
        sink.value ^= await opossumDefault.fire();
      }),
      'opossum fire (timeout: false)': awaitLoop(AWAITED, async () => {
        sink.value ^= await opossumNoTimeout.fire();
      }),
      'cockatiel execute (ConsecutiveBreaker)': awaitLoop(AWAITED, async () => {
        sink.value ^= await cockatiel.execute(fn);
      }),
    },
    { defer: true, perOp: AWAITED },
  );
  // opossum keeps a stats interval timer per breaker; cockatiel holds no timer while closed.
  opossumDefault.shutdown();
  opossumNoTimeout.shutdown();
  if (ours.state !== 'closed') throw new Error(`our breaker left the closed state: ${ours.state}`);

  const js = new JsCircuitBreaker({ failureThreshold: 5, openMs: 30_000 });
  rows.push(
    ...(await compare(
      'breaker allow()+recordSuccess() (sync, closed)',
      () => {
        if (ours.allow()) ours.recordSuccess();
        else sink.value++;
      },
      {
        'plain-JS counter breaker': () => {
          if (js.allow()) js.recordSuccess();
          else sink.value++;
        },
      },
    )),
  );
  sink.value ^= js.successes;
  return rows;
}
