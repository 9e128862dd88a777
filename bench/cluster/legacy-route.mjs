// What a legacy routeToServer costs when the server is on another node, against the same route
// when it is on this node, in the same run. Two processes, nodes a (this one) and b (a child),
// each with a LegacyRegistry joined to the cluster over a private Redis
// (src/cluster/legacy/, the code `erlmcp serve --cluster` runs). Each node registers a server
// that answers every message by routeToTransport to the sender's transport `reply@<node>`:
//   - round trip: one message at a time, a -> server -> a's transport; same node (server
//     local-echo on a) vs cross node (server echo on b); p50/p99 of the round trip;
//   - burst: N messages routed in a row, until the last answer; the caller's time inside
//     routeToServer, and both processes' CPU per message.
//
//   node bench/cluster/legacy-route.mjs [--rounds 2000] [--burst 20000]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startClusterLegacy } from '../../dist/cluster/legacy/index.js';
import { LegacyRegistry } from '../../dist/legacy/index.js';
import { processCpuUs } from '../cores/servers.mjs';
import { cleanup, intArg, startRedis, writeResult } from './procs.mjs';

const arg = intArg;
const role = process.argv.includes('--role-b') ? 'b' : 'a';
const logger = pino({ enabled: false });

/** A registry of node `nodeId` on the cluster at `redis`, with its echo server and reply transport. */
async function node(nodeId, redis, serverId, onReply) {
  const registry = new LegacyRegistry();
  const legacy = await startClusterLegacy({
    registry,
    redis,
    keyPrefix: 'bench',
    nodeId,
    worker: 0,
    logger,
    timeoutMs: 1000,
  });
  registry.registerServer(serverId, ({ transportId, message }) =>
    registry.routeToTransport(transportId, serverId, message),
  );
  registry.registerTransport(`reply@${nodeId}`, onReply);
  return { registry, legacy };
}

const waitFor = async (what, check) => {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within 10 s`);
};

if (role === 'b') {
  const redis = process.argv[process.argv.indexOf('--redis') + 1];
  const { registry } = await node('b', redis, 'echo', () => {});
  await waitFor('b sees a', () => registry.findTransport('reply@a').ok);
  process.send?.('ready');
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: processCpuUs(process.pid) });
  });
} else {
  const ROUNDS = arg('rounds', 2000);
  const BURST = arg('burst', 20000);
  const redis = await startRedis();
  let onReply = () => {};
  const { registry } = await node('a', redis, 'local-echo', (env) => onReply(env));
  const child = fork(fileURLToPath(import.meta.url), ['--role-b', '--redis', redis], { stdio: 'inherit' });
  process.on('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`node b exited with ${code}`)));
  });
  await waitFor('a sees echo on b', () => registry.findServer('echo').ok);
  const childCpu = () =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(m.cpu));
      child.send('cpu');
    });

  /** One message at a time: round-trip times in µs. */
  const roundTrips = async (serverId) => {
    const times = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = process.hrtime.bigint();
      await new Promise((resolve) => {
        onReply = resolve;
        registry.routeToServer(serverId, 'reply@a', { i });
      });
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    return times.sort((x, y) => x - y);
  };
  /** BURST messages in a row: the caller's µs inside routeToServer, wall µs until the last answer, CPU µs. */
  const burst = async (serverId) => {
    let got = 0;
    const cpu0 = processCpuUs(process.pid) + (await childCpu());
    const t0 = process.hrtime.bigint();
    const done = new Promise((resolve) => {
      onReply = () => {
        if (++got === BURST) resolve();
      };
    });
    for (let i = 0; i < BURST; i++) registry.routeToServer(serverId, 'reply@a', { i });
    const callUs = Number(process.hrtime.bigint() - t0) / 1000;
    await done;
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    const cpuUs = processCpuUs(process.pid) + (await childCpu()) - cpu0;
    return { call_us_per_msg: callUs / BURST, wall_us_per_msg: wallUs / BURST, cpu_us_per_msg: cpuUs / BURST };
  };
  const pct = (s, p) => s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
  const result = {};
  // Alternate, so drift of the host's speed hits both alike.
  for (const [name, serverId] of [
    ['same_node', 'local-echo'],
    ['cross_node', 'echo'],
    ['same_node_2', 'local-echo'],
    ['cross_node_2', 'echo'],
  ]) {
    const rt = await roundTrips(serverId);
    const b = await burst(serverId);
    result[name] = { rtt_p50_us: pct(rt, 50), rtt_p99_us: pct(rt, 99), ...b };
  }
  const row = (k) => {
    const r = result[k];
    return `${k.padEnd(13)} rtt p50 ${r.rtt_p50_us.toFixed(1)} µs  p99 ${r.rtt_p99_us.toFixed(1)} µs | burst: call ${r.call_us_per_msg.toFixed(2)} µs/msg, wall ${r.wall_us_per_msg.toFixed(2)} µs/msg, cpu ${r.cpu_us_per_msg.toFixed(2)} µs/msg`;
  };
  for (const k of Object.keys(result)) console.log(row(k));
  const file = writeResult('cluster-legacy-route', {
    node: process.version,
    rounds: ROUNDS,
    burst: BURST,
    note: 'round trip = route to the server + its routeToTransport back to reply@a; cross_node crosses Redis pub/sub twice',
    result,
  });
  console.log(`wrote ${file}`);
  child.kill('SIGKILL');
  cleanup();
  process.exit(0);
}
