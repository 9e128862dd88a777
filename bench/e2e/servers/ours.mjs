// erlmcp: McpServer + listen() from the built package. listen() serves WebSocket
// (subprotocol 'mcp') and Streamable HTTP on the same port, both at /mcp. This file (with
// ours-shards.mjs, which reuses serve()) is the only place that knows erlmcp's server API.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const distUrl = new URL('../../../dist/index.mjs', import.meta.url);

/** The built package (throws a clear error when dist/ is missing). */
export async function loadErlmcp() {
  if (!fs.existsSync(fileURLToPath(distUrl))) throw new Error('dist/index.mjs not found (run npm run build)');
  /** @type {any} */
  const erlmcp = await import(distUrl.href);
  if (typeof erlmcp.listen !== 'function') throw new Error('dist/index.mjs does not export listen() yet');
  if (typeof erlmcp.McpServer !== 'function') throw new Error('dist/index.mjs does not export McpServer');
  return erlmcp;
}

/**
 * Serves the echo tool (and `extraTools`, JSON Schema inputs, never called) with
 * `serverOptions` (e.g. `{ gate, shards }`) and returns the adapter handle; `onClose` runs
 * after the listener closes.
 * @param {any} erlmcp @param {string} transport @param {object} serverOptions
 * @param {() => Promise<unknown>} [onClose]
 * @param {{ name: string, description: string, inputSchema: object }[]} [extraTools]
 * @param {object} [listenOptions] more `listen()` options (e.g. `{ auth }`)
 */
export async function serve(erlmcp, transport, serverOptions, onClose, extraTools = [], listenOptions = {}) {
  const server = new erlmcp.McpServer({ name: 'bench', version: '1.0.0' }, serverOptions);
  server.registerTool(
    'echo',
    {
      description: 'Echo',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    },
    (/** @type {{ message: string }} */ args) => ({ content: [{ type: 'text', text: args.message }] }),
  );
  for (const t of extraTools) {
    server.registerTool(t.name, { description: t.description, inputSchema: t.inputSchema }, () => ({
      content: [{ type: 'text', text: 'ok' }],
    }));
  }
  const listener = await erlmcp.listen(server, { host: '127.0.0.1', port: 0, maxConnections: 20000, ...listenOptions });
  const base = `127.0.0.1:${listener.port}/mcp`;
  return {
    url: transport === 'ws' ? `ws://${base}` : `http://${base}`,
    close: async () => {
      await listener.close();
      await onClose?.();
    },
  };
}

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  return serve(await loadErlmcp(), transport, {});
}
