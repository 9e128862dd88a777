// Server child process: `node --expose-gc server.mjs <kind> <transport> <lifetimeSec>`, forked
// by run.mjs. Starts servers/<kind>.mjs, reports {type:'ready', url} (or {type:'unavailable',
// reason}) over IPC, answers {type:'mem'} with process.memoryUsage() taken after forced GC,
// answers {type:'cpu'} with process.cpuUsage(),
// and exits on {type:'stop'}, when the parent goes away, or when its lifetime runs out.
import { performance } from 'node:perf_hooks';

const [kind = '', transport = 'ws', lifetimeSec = '120'] = process.argv.slice(2);
const send = (/** @type {any} */ msg) => process.send?.(msg);

setTimeout(() => process.exit(3), Number(lifetimeSec) * 1000).unref();
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (err) => {
  send({ type: 'fatal', error: String(err?.stack ?? err) });
  setTimeout(() => process.exit(1), 50);
});

/** Full GC a few times (finalizers and weak callbacks run between passes), then measures. */
async function gcMemory() {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

/** @type {{ url: string, close: () => Promise<unknown> } | undefined} */
let handle;
try {
  const adapter = await import(`./servers/${kind}.mjs`);
  handle = await adapter.start({ transport });
} catch (err) {
  send({ type: 'unavailable', reason: /** @type {Error} */ (err)?.message ?? String(err) });
  setTimeout(() => process.exit(0), 50);
}

if (handle) {
  const h = handle;
  process.on('message', async (/** @type {any} */ msg) => {
    if (msg?.type === 'mem') {
      send({ type: 'mem', tag: msg.tag, mem: await gcMemory() });
    } else if (msg?.type === 'cpu') {
      send({ type: 'cpu', tag: msg.tag, cpu: process.cpuUsage(), at: performance.now() });
    } else if (msg?.type === 'stop') {
      const timer = setTimeout(() => process.exit(0), 2000);
      await h.close().catch(() => {});
      clearTimeout(timer);
      process.exit(0);
    }
  });
  // wrkArgs: what the case's wrk script needs from this server (e.g. a bearer token it issued).
  send({ type: 'ready', url: h.url, pid: process.pid, wrkArgs: /** @type {any} */ (h).wrkArgs ?? [] });
}
