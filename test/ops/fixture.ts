import pino from 'pino';
import { type ControlReadings, controlPlane } from '../../src/app/control-plane.js';
import { registerDemoToolset } from '../../src/demo/toolset.js';
import { McpClient } from '../../src/mcp/client.js';
import { Gate, type GateOptions } from '../../src/mcp/gate.js';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer } from '../../src/mcp/server.js';
import { createObservability, type Observability } from '../../src/ops/endpoints.js';
import type { OperationDurationsSnapshot } from '../../src/ops/metrics.js';
import { ShardSet } from '../../src/shards/shard-set.js';
import type { Supervisor } from '../../src/supervision/supervisor.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';

export interface FixtureOptions {
  gate?: GateOptions;
  /** Run requests through a ShardSet (default true). */
  shards?: boolean;
  faultInjection?: boolean;
  operationDurations?: () => OperationDurationsSnapshot;
  /** Start the control plane with this sampling period (default: no control plane). */
  controlPeriodMs?: number;
}

export interface Fixture {
  gate: Gate;
  shards: ShardSet | undefined;
  server: McpServer;
  listener: Listener;
  obs: Observability;
  readings: ControlReadings;
  control: Supervisor | undefined;
  setReady(ready: boolean): void;
  /** A connected WebSocket MCP client (closed in stop()). */
  client(): Promise<McpClient>;
  get(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real listen() around an McpServer (demo toolset plus `boom`, a tool failing with an
 * internal error) with the observability routes plugged in; binds 127.0.0.1 on a free port.
 */
export async function startFixture(o: FixtureOptions = {}): Promise<Fixture> {
  const logger = pino({ level: 'silent' });
  const gate = new Gate({ shards: 4, ...o.gate });
  const shards =
    o.shards === false
      ? undefined
      : new ShardSet({ registry: gate.registry, router: gate.router, releaseOnDelivery: false, logger });
  await shards?.start();
  const server = new McpServer({ name: 'ops-test', version: '1' }, { gate, shards });
  registerDemoToolset(server);
  server.registerTool('boom', {}, () => {
    throw new McpError(ErrorCode.INTERNAL_ERROR, 'boom');
  });
  const readings: ControlReadings = {};
  let ready = true;
  let listener: Listener | undefined;
  const obs = createObservability({
    gate,
    shards,
    readings,
    limiter: () => listener?.limiter,
    connections: () => listener?.connectionStats(),
    ready: () => ready,
    faultInjection: o.faultInjection,
    operationDurations: o.operationDurations,
    logger,
    counts: () => server.counts(),
  });
  if (shards) obs.restarts.watch(shards.supervisor);
  let control: Supervisor | undefined;
  if (o.controlPeriodMs !== undefined) {
    control = controlPlane({ gate, readings, logger, periodMs: o.controlPeriodMs });
    obs.restarts.watch(control);
    await control.start();
  }
  listener = await listen(server, { host: '127.0.0.1', port: 0, routes: obs.handle });
  const bound = listener;
  const base = `http://127.0.0.1:${bound.port}`;
  const clients: McpClient[] = [];
  return {
    gate,
    shards,
    server,
    listener: bound,
    obs,
    readings,
    control,
    setReady: (r) => {
      ready = r;
    },
    async client() {
      const c = new McpClient({ name: 'ops-client', version: '1' });
      await c.connect(new WebSocketClientTransport(new URL(bound.url.replace(/^http/, 'ws'))));
      clients.push(c);
      return c;
    },
    get: (path, init) => fetch(base + path, init),
    async stop() {
      for (const c of clients) await c.close();
      await bound.close();
      await server.close();
      await control?.stop();
      await shards?.stop();
      obs.close();
    },
  };
}

/** Polls `cond` every 10 ms, up to 5 s. */
export async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 5 s');
}

/** The value of one exposition line (`name{labels} value`), or undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
