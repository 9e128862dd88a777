// erlmcp as `erlmcp serve` runs it: requests go through the shard managers (each admitted
// request waits in its shard's native queue and that shard's manager runs it). Compared with
// `ours` (requests run as they arrive) it shows what the crash-isolated data path costs.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const distUrl = new URL('../../../dist/index.mjs', import.meta.url);

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  if (!fs.existsSync(fileURLToPath(distUrl))) throw new Error('dist/index.mjs not found (run npm run build)');
  /** @type {any} */
  const erlmcp = await import(distUrl.href);
  /** @type {any} */
  const { ShardSet } = erlmcp;
  const { McpServer, Gate, listen } = erlmcp;
  const gate = new Gate();
  const shards = new ShardSet({ registry: gate.registry, router: gate.router, releaseOnDelivery: false });
  await shards.start();
  const server = new McpServer({ name: 'bench', version: '1.0.0' }, { gate, shards });
  server.registerTool(
    'echo',
    {
      description: 'Echo',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    },
    (/** @type {{ message: string }} */ args) => ({ content: [{ type: 'text', text: args.message }] }),
  );
  const listener = await listen(server, { host: '127.0.0.1', port: 0, maxConnections: 20000 });
  const base = `127.0.0.1:${listener.port}/mcp`;
  return {
    url: transport === 'ws' ? `ws://${base}` : `http://${base}`,
    close: async () => {
      await listener.close();
      await shards.stop();
    },
  };
}
