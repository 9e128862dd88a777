// Server CPU per request of a cluster node against a single node, for traffic that needs no
// Redis: stateless 2026-07-28 tools/call over HTTP (wrk) and tools/call round trips on held
// WebSocket sessions (wsgen). Same run: a plain `erlmcp serve --workers 1` and a live 3-node
// cluster (`--cluster` on a private redis-server, 1 thread each), all up for the whole run;
// the load goes to the single node and to one cluster node in interleaved rounds (order
// swapped every round), each round a warm-up and a measured window with the server's CPU read
// from /proc (every thread) and the generator's CPU beside it. The ratio is cluster/single of
// the median µs per request; issue 12's target is within 5 %. Redis's own command counter
// (INFO stats) is read around every window: the commands the cluster ran per second during
// the cluster node's windows against the single node's (heartbeats only: nothing per request).
//
//   node bench/cluster/cpu.mjs [--rounds 5] [--duration 5] [--warmup 2] [--connections 50]
//     [--ws-connections 100] [--cases http,ws]
import net from 'node:net';
import { driveHttp, driveWs, ensureWsgen } from '../cores/drive.mjs';
import { startErlmcp } from '../cores/servers.mjs';
import { machineEnv, waitForQuiet } from '../e2e/cpu.mjs';
import { CONTENDED_PCT } from '../e2e/stateless.mjs';
import { WRK_MISSING, wrkVersion } from '../e2e/wrk.mjs';
import { cleanup, freePort, sleep, startNode, startRedis, writeResult } from './procs.mjs';

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  const n = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} needs a whole number >= 1`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = opt('rounds', 5);
const DURATION = opt('duration', 5);
const WARMUP = opt('warmup', 2);
const CONNS = opt('connections', 50);
const WS_CONNS = opt('ws-connections', 100);
const ci = process.argv.indexOf('--cases');
const CASES = ci > 0 ? process.argv[ci + 1].split(',') : ['http', 'ws'];
if (CASES.some((c) => c !== 'http' && c !== 'ws')) {
  console.error('--cases takes http, ws or both (comma-separated)');
  process.exit(2);
}
const log = (s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
if (CASES.includes('http') && wrkVersion() === undefined) {
  console.error(WRK_MISSING);
  process.exit(1);
}
if (CASES.includes('ws')) ensureWsgen(log);

const r1 = (x) => Math.round(x * 10) / 10;
const lifetimeSec = ROUNDS * CASES.length * 2 * (DURATION + WARMUP + 20) + 120;
const single = await startErlmcp({ workers: 1, hasWorkersFlag: true, lifetimeSec, settleMs: 0 });
const redis = await startRedis();
const ports = [await freePort(), await freePort(), await freePort()];
const cluster = [];
for (const [i, port] of ports.entries()) cluster.push(await startNode({ id: `c${i}`, port, redis }));
for (let k = 0; k < 400; k++) {
  const h = await (await fetch(`http://127.0.0.1:${ports[0]}/health`)).json();
  if (h.cluster?.nodes?.length === 3) break;
  await sleep(25);
}
const targets = {
  single: { pid: single.pid, http: single.httpUrl, ws: single.wsUrl },
  cluster: {
    pid: cluster[0].pid,
    http: `http://127.0.0.1:${ports[0]}/mcp`,
    ws: `ws://127.0.0.1:${ports[0]}/mcp`,
  },
};
log(`single node pid ${single.pid}; cluster of 3 on ${redis}, load to c0 (pid ${cluster[0].pid})`);

/** Redis's total_commands_processed (one inline INFO over a fresh connection). */
const redisPort = Number(new URL(redis).port);
const redisCommands = () =>
  new Promise((resolve, reject) => {
    const c = net.connect(redisPort, '127.0.0.1');
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write('INFO stats\r\n'));
    c.on('data', (d) => {
      buf += d;
      const m = /total_commands_processed:(\d+)/.exec(buf);
      if (m) {
        c.end();
        resolve(Number(m[1]));
      }
    });
    c.on('error', reject);
  });

const runs = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const kase of CASES) {
    for (const who of round % 2 ? ['single', 'cluster'] : ['cluster', 'single']) {
      await waitForQuiet(CONTENDED_PCT, 10_000);
      const t = targets[who];
      const common = { pid: t.pid, warmupSec: WARMUP, durationSec: DURATION, threads: 1 };
      const k0 = await redisCommands();
      const w0 = performance.now();
      const r =
        kase === 'http'
          ? await driveHttp({ ...common, url: t.http, connections: CONNS })
          : await driveWs({ ...common, url: t.ws, connections: WS_CONNS });
      // The INFO call itself is one command.
      const redisPerSec = r1((((await redisCommands()) - k0 - 1) * 1000) / (performance.now() - w0));
      runs.push({ round, case: kase, node: who, redisCommandsPerSec: redisPerSec, ...r });
      log(
        `round ${round} ${kase} ${who}: ${r.reqPerSec} req/s, server ${r.serverCpuUsPerReq} µs/req, ` +
          `generator ${r.genCpuUsPerReq} µs/req (share ${r.genShare}), errors ${r.errorCount}, other ${r.otherCpuPct} %, ` +
          `Redis ${redisPerSec} commands/s`,
      );
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = {};
console.log(
  `Node ${process.versions.node}, ${ROUNDS} interleaved rounds x ${DURATION} s (+${WARMUP} s warm-up); ` +
    `HTTP: wrk 1 thread ${CONNS} connections; WS: wsgen 1 thread ${WS_CONNS} sessions`,
);
console.log(
  '| traffic | single node µs/req | cluster node µs/req | cluster / single | req/s single / cluster | generator share | Redis commands/s (single / cluster windows) | errors |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const kase of CASES) {
  const of = (who, f) => runs.filter((r) => r.case === kase && r.node === who).map(f);
  const s = median(of('single', (r) => r.serverCpuUsPerReq));
  const c = median(of('cluster', (r) => r.serverCpuUsPerReq));
  summary[kase] = {
    singleUsPerReq: r1(s),
    clusterUsPerReq: r1(c),
    ratio: Number((c / s).toFixed(3)),
    perRoundRatios: of('cluster', (r) => r.serverCpuUsPerReq).map((cv, i) =>
      Number((cv / of('single', (r) => r.serverCpuUsPerReq)[i]).toFixed(3)),
    ),
    singleReqPerSec: median(of('single', (r) => r.reqPerSec)),
    clusterReqPerSec: median(of('cluster', (r) => r.reqPerSec)),
    genShare: Number(median([...of('single', (r) => r.genShare), ...of('cluster', (r) => r.genShare)]).toFixed(3)),
    redisCommandsPerSec: {
      duringSingle: median(of('single', (r) => r.redisCommandsPerSec)),
      duringCluster: median(of('cluster', (r) => r.redisCommandsPerSec)),
    },
    errors: runs.filter((r) => r.case === kase).reduce((a, r) => a + r.errorCount, 0),
  };
  const m = summary[kase];
  console.log(
    `| ${kase === 'http' ? 'stateless HTTP (wrk)' : 'WebSocket sessions (wsgen)'} | ${m.singleUsPerReq} | ${m.clusterUsPerReq} | ` +
      `${m.ratio} | ${m.singleReqPerSec} / ${m.clusterReqPerSec} | ${m.genShare} | ` +
      `${m.redisCommandsPerSec.duringSingle} / ${m.redisCommandsPerSec.duringCluster} | ${m.errors} |`,
  );
}
console.log(
  `wrote ${writeResult('cluster-cpu', { env: machineEnv(), rounds: ROUNDS, durationSec: DURATION, warmupSec: WARMUP, summary, runs })}`,
);
await single.stop();
cleanup();
process.exit(0);
