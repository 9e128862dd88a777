// Legacy registry: erlmcp/legacy `routeToServer` (native id lookup + JS object table) vs one
// central JS registry object doing the same routing (the seeds' "before" architecture), at
// 10k registered servers and 10k bound transports; throughput and per-route latency, and the
// seeds' claimed figures beside them as unmeasured claims.
import { LegacyRegistry } from '../../dist/legacy/index.js';
import { compare, nsSince, pct, randomInts, ratio, round, sessionKeys, sink } from '../lib.mjs';
import { CentralRegistry } from './legacy-central.mjs';

const N = 10_000;
const PROBES = 1 << 16;
const PROBE_MASK = PROBES - 1;
const LATENCY_BATCH = 100;
const LATENCY_REPS = 10_000;
/** What the seeds claim for the Erlang registry; never measured (see DESIGN.md). */
const CLAIM = { opsPerSec: 140_000, p99Us: 75 };

export default async function legacySuite() {
  const serverIds = sessionKeys(N, 'server');
  const transportIds = sessionKeys(N, 'transport');
  const ours = new LegacyRegistry({ shards: 64 });
  const central = new CentralRegistry();
  // The same work per delivery on both sides: fold the message into the sink.
  const server = (env) => {
    sink.value ^= env.message;
  };
  for (let i = 0; i < N; i++) {
    for (const reg of [ours, central]) {
      reg.registerServer(serverIds[i], server, { index: i });
      reg.registerTransport(transportIds[i], () => {}, { serverId: serverIds[i] });
    }
  }
  if (ours.serverCount !== N || central.servers.size !== N) throw new Error('setup failed');

  // Random probe order drawn up front; both sides route the same (server, transport) pairs.
  const pick = randomInts(PROBES, N);
  const probeS = Array.from(pick, (i) => serverIds[i]);
  const probeT = Array.from(pick, (i) => transportIds[i]);
  const rows = [];

  let i = 0;
  let j = 0;
  rows.push(
    ...(await compare(
      'legacy.routeToServer (10k servers, 10k transports)',
      () => {
        const k = i++ & PROBE_MASK;
        sink.value ^= ours.routeToServer(probeS[k], probeT[k], k).delivered;
      },
      {
        'central JS registry (Map)': () => {
          const k = j++ & PROBE_MASK;
          sink.value ^= central.routeToServer(probeS[k], probeT[k], k).delivered;
        },
      },
    )),
  );

  // The server id decoded from bytes on every call, as it arrives from a transport: V8 caches a
  // string's hash in the string, so the row above flatters the Map (each id is hashed once).
  const KEY_LEN = Buffer.byteLength(probeS[0]);
  const wire = Buffer.from(probeS.join(''), 'latin1');
  let fi = 0;
  let fj = 0;
  rows.push(
    ...(await compare(
      'legacy.routeToServer, server id decoded per call',
      () => {
        const k = fi++ & PROBE_MASK;
        const s = k * KEY_LEN;
        sink.value ^= ours.routeToServer(wire.toString('latin1', s, s + KEY_LEN), probeT[k], k).delivered;
      },
      {
        'central JS registry (Map)': () => {
          const k = fj++ & PROBE_MASK;
          const s = k * KEY_LEN;
          sink.value ^= central.routeToServer(wire.toString('latin1', s, s + KEY_LEN), probeT[k], k).delivered;
        },
      },
    )),
  );

  const lat = latency(ours, central, probeS, probeT);
  Object.assign(rows[0], lat);

  // The seeds' figures, as the peer of the measured row: a claim, not a measurement.
  const measured = rows[0];
  rows.push({
    name: 'legacy.routeToServer vs the seeds’ claim',
    opsPerSec: measured.opsPerSec,
    peer: `seeds claim (UNMEASURED): ${CLAIM.opsPerSec.toLocaleString('en-US')} ops/s, p99 ${CLAIM.p99Us} µs`,
    peerOpsPerSec: CLAIM.opsPerSec,
    ratio: ratio(measured.opsPerSec, CLAIM.opsPerSec),
    rmePct: measured.rmePct,
    claimP99Ns: CLAIM.p99Us * 1000,
    p99VsClaim: ratio(CLAIM.p99Us * 1000, lat.routeP99Ns),
    note: 'peer figures are claims from seeds/, never measured by anyone; ratio > 1: ours faster; p99VsClaim = claimed p99 / our measured p99',
  });
  ours.close();
  return rows;
}

/** Per-route latency, after the rows above warmed everything up; the two sides interleaved. */
function latency(ours, central, probeS, probeT) {
  // Batches of LATENCY_BATCH routes timed with hrtime: the timer (~50 ns a reading) is spread
  // over the batch, and a slow route still shows in its batch's time.
  const a = new Float64Array(LATENCY_REPS);
  const b = new Float64Array(LATENCY_REPS);
  let p = 0;
  for (let r = 0; r < LATENCY_REPS; r++) {
    const base = p;
    let t0 = process.hrtime.bigint();
    for (let k = 0; k < LATENCY_BATCH; k++) {
      const x = (base + k) & PROBE_MASK;
      sink.value ^= ours.routeToServer(probeS[x], probeT[x], x).delivered;
    }
    a[r] = nsSince(t0) / LATENCY_BATCH;
    t0 = process.hrtime.bigint();
    for (let k = 0; k < LATENCY_BATCH; k++) {
      const x = (base + k) & PROBE_MASK;
      sink.value ^= central.routeToServer(probeS[x], probeT[x], x).delivered;
    }
    b[r] = nsSince(t0) / LATENCY_BATCH;
    p += LATENCY_BATCH;
  }
  a.sort();
  b.sort();

  // Single routes timed one by one (each includes one timer reading), for the tail.
  const SINGLES = 100_000;
  const single = new Float64Array(SINGLES);
  const peerSingle = new Float64Array(SINGLES);
  for (let s = 0; s < SINGLES; s++) {
    const x = s & PROBE_MASK;
    let t0 = process.hrtime.bigint();
    sink.value ^= ours.routeToServer(probeS[x], probeT[x], x).delivered;
    single[s] = nsSince(t0);
    t0 = process.hrtime.bigint();
    sink.value ^= central.routeToServer(probeS[x], probeT[x], x).delivered;
    peerSingle[s] = nsSince(t0);
  }
  single.sort();
  peerSingle.sort();
  return {
    routeP50Ns: round(pct(a, 50)),
    routeP99Ns: round(pct(a, 99)),
    peerRouteP50Ns: round(pct(b, 50)),
    peerRouteP99Ns: round(pct(b, 99)),
    singleRouteP50Ns: pct(single, 50),
    singleRouteP99Ns: pct(single, 99),
    peerSingleRouteP50Ns: pct(peerSingle, 50),
    peerSingleRouteP99Ns: pct(peerSingle, 99),
    latencyMethod: `${LATENCY_REPS} batches of ${LATENCY_BATCH} routes timed with process.hrtime.bigint, per route; plus ${SINGLES} single routes timed one by one (incl. one timer reading)`,
  };
}
