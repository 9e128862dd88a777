// erlmcp: McpServer + listen() from the built package. listen() serves WebSocket
// (subprotocol 'mcp') and Streamable HTTP on the same port, both at /mcp. This file is the
// only place that knows erlmcp's server API: if the API differs, fix it here.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const distUrl = new URL('../../../dist/index.mjs', import.meta.url);

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  if (!fs.existsSync(fileURLToPath(distUrl))) throw new Error('dist/index.mjs not found (run npm run build)');
  /** @type {any} */
  const erlmcp = await import(distUrl.href);
  const { McpServer, listen } = erlmcp;
  if (typeof listen !== 'function') throw new Error('dist/index.mjs does not export listen() yet');
  if (typeof McpServer !== 'function') throw new Error('dist/index.mjs does not export McpServer');
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
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
    close: () => listener.close(),
  };
}
