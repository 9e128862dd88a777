/**
 * versionNegotiation 'auto' against erlmcp's own server, over its Streamable HTTP and
 * WebSocket listener and in memory. Today that server speaks the 2025 era, so the probe must
 * fall back without noise; once its 2026 side lands the same client settles on 'modern'. The
 * assertions hold for either era, and exactly: what each era must look like.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { registerDemoToolset } from '../../src/demo/toolset.js';
import { McpClient } from '../../src/mcp/client.js';
import { McpServer } from '../../src/mcp/server.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { createMemoryTransportPair } from '../../src/transports/memory.js';
import type { Transport } from '../../src/transports/transport.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';

const server = new McpServer({ name: 'own', version: '1.0.0' });
registerDemoToolset(server);
let listener: Listener | undefined;
afterAll(async () => {
  await listener?.close();
  await server.close();
});

async function url(scheme: 'http' | 'ws'): Promise<string> {
  listener ??= await listen(server, { host: '127.0.0.1', port: 0 });
  return `${scheme}://127.0.0.1:${listener.port}/mcp`;
}

const cases: [string, () => Promise<Transport>][] = [
  ['streamable http', async () => new StreamableHttpClientTransport(await url('http'))],
  ['websocket', async () => new WebSocketClientTransport(await url('ws'))],
  [
    'memory',
    async () => {
      const [c, s] = createMemoryTransportPair();
      await server.connect(s);
      return c;
    },
  ],
];

describe.each(cases)("McpClient 'auto' against erlmcp's McpServer over %s", (_name, transport) => {
  it('connects in the era the server offers and works, with nothing reported to onerror', async () => {
    const client = new McpClient({ name: 'auto', version: '1.0.0' }, { versionNegotiation: 'auto' });
    const errors: Error[] = [];
    client.onerror = (e) => errors.push(e);
    const r = await client.connect(await transport());
    expect(r.protocolVersion).toBe(r.era === 'modern' ? '2026-07-28' : '2025-11-25');
    expect(r.serverInfo).toEqual({ name: 'own', version: '1.0.0' });
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'both eras' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'both eras' }]);
    await client.close();
    expect(errors).toEqual([]);
  });
});
