import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Application, startApplication } from '../../src/app/application.js';
import { registerDemoToolset } from '../../src/demo/toolset.js';
import { McpClient } from '../../src/mcp/client.js';
import { Gate } from '../../src/mcp/gate.js';
import { McpServer } from '../../src/mcp/server.js';
import { ShardSet } from '../../src/shards/shard-set.js';
import type { SupervisorEvent } from '../../src/supervision/events.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';

const apps: Application[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

async function start(onSample?: (w: 'health' | 'metrics') => void) {
  const gate = new Gate();
  const shards = new ShardSet({ registry: gate.registry, router: gate.router, releaseOnDelivery: false });
  const server = new McpServer({ name: 'app-test', version: '1' }, { gate, shards });
  registerDemoToolset(server);
  const app = await startApplication({
    server,
    shards,
    listen: { port: 0 },
    logger: pino({ level: 'silent' }),
    controlPeriodMs: 20,
    onSample,
  });
  apps.push(app);
  const client = new McpClient({ name: 'c', version: '1' });
  await client.connect(new WebSocketClientTransport(new URL((app.listener()?.url ?? '').replace(/^http/, 'ws'))));
  return { app, client, shards };
}

describe('the application tree', () => {
  it('runs control, servers and transports; the control plane samples the native counters', async () => {
    const { app, client } = await start();
    expect(app.root.whichChildren().map((c) => c.id)).toEqual(['shards', 'control', 'servers', 'transports']);
    expect(
      app
        .control()
        ?.whichChildren()
        .map((c) => c.id),
    ).toEqual(['health', 'metrics', 'breaker']);
    await client.callTool({ name: 'echo', arguments: { message: 'x' } });
    await until(() => (app.readings.metrics?.admitted ?? 0) >= 2);
    expect(app.readings.metrics).toMatchObject({ sessions: 1, inFlight: 0 });
    expect(app.readings.metrics?.admitted).toBeGreaterThanOrEqual(2); // initialize + tools/call
    expect(app.readings.health?.rssMb).toBeGreaterThan(0);
    expect(app.readings.breaker?.state).toBe('closed');
    await client.close();
  });

  it('a control-plane crash restarts control workers (rest_for_one) and never touches the data path', async () => {
    let crash = false;
    const { app, client } = await start((worker) => {
      if (worker === 'metrics' && crash) {
        crash = false;
        throw new Error('metrics aggregator bug');
      }
    });
    const events: string[] = [];
    app.control()?.on('event', (e: SupervisorEvent) => events.push(`${e.type} ${'id' in e ? e.id : ''}`.trim()));
    const session = [...app.server.sessions][0];
    const slow = client.callTool({ name: 'sleep', arguments: { ms: 150 } });
    crash = true;
    await until(() => events.includes('start breaker'));
    // rest_for_one: metrics crashed, so metrics and the breaker monitor after it were restarted; health was not.
    expect(events.filter((e) => e.startsWith('start'))).toEqual(['start metrics', 'start breaker']);
    expect(events.some((e) => e.startsWith('exit metrics'))).toBe(true);
    expect(events.some((e) => e.includes('health'))).toBe(false);
    // The request in flight and the session were untouched.
    expect(await slow).toEqual({ content: [{ type: 'text', text: 'slept 150 ms' }] });
    expect([...app.server.sessions][0]).toBe(session);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'still here' } })).toEqual({
      content: [{ type: 'text', text: 'still here' }],
    });
    expect(app.root.whichChildren().every((c) => c.status === 'running')).toBe(true);
    await client.close();
  });

  it('a crashed shard manager is restarted alone; the session keeps being served', async () => {
    const { app, client, shards } = await start();
    const session = [...app.server.sessions][0];
    const shard = session?.ticket.shard ?? 0;
    const before = shards.manager(shard);
    before?.crashNext();
    // The crash fires while routing this request; the restarted manager runs it.
    expect(await client.callTool({ name: 'echo', arguments: { message: 'through a crash' } })).toEqual({
      content: [{ type: 'text', text: 'through a crash' }],
    });
    await shards.supervisor.idle();
    expect(shards.manager(shard)).not.toBe(before);
    expect(shards.stats()[shard]?.restarts).toBe(1);
    expect([...app.server.sessions][0]).toBe(session);
    expect(app.server.gate.admission.stats().globalDepth).toBe(0);
    await client.close();
  });

  it('stops transports first and gracefully: a request in flight is answered', async () => {
    const { app, client } = await start();
    const slow = client.callTool({ name: 'sleep', arguments: { ms: 100 } });
    await new Promise((r) => setTimeout(r, 20));
    const stopped = app.stop();
    expect(await slow).toEqual({ content: [{ type: 'text', text: 'slept 100 ms' }] });
    await stopped;
    expect(app.root.state).toBe('stopped');
    expect(app.server.sessions.size).toBe(0);
    apps.splice(apps.indexOf(app), 1);
  });
});
