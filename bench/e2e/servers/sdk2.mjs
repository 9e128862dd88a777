// The official SDK v2 (@modelcontextprotocol/server + @modelcontextprotocol/node) served the way
// its "Serve over HTTP" guide does on plain node:http: createMcpHandler(factory) with default
// options (legacy: 'stateless', responseMode: 'auto' = one JSON body unless the tool emits a
// notification first), wrapped once with toNodeHandler, behind the localhostHostValidation /
// localhostOriginValidation guards the guide composes in front of it, bound to 127.0.0.1.
// The factory runs once per request and registers the tools inside it, as the guide says to
// ("Register tools, resources, and prompts inside the factory"), zod schemas included, as its
// tools guide writes them (inline in registerTool). `hoistSchemas` builds the zod schemas once at
// module scope instead (the guide's "create caches once at module scope and close over them"
// applied to schemas): not what the guides show, an opt-in case that shows what it is worth.
import http from 'node:http';
import { localhostHostValidation, localhostOriginValidation, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { listenLoopback } from './loopback.mjs';
import { toZod } from './tools-50.mjs';

/**
 * Starts the SDK v2 endpoint with `echo` plus `extraTools` (unused handlers that only answer).
 * @param {string} transport @param {import('./tools-50.mjs').ToolSpec[]} extraTools
 * @param {{ hoistSchemas?: boolean }} [options]
 */
export async function startSdk2(transport, extraTools, options = {}) {
  if (transport !== 'http') throw new Error(`the SDK v2 servers serve Streamable HTTP only, not ${transport}`);
  const hoisted = options.hoistSchemas
    ? { echo: z.object({ message: z.string() }), extra: extraTools.map((t) => toZod(t, z)) }
    : undefined;
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'bench', version: '1.0.0' });
    server.registerTool(
      'echo',
      { description: 'Echo the message back', inputSchema: hoisted?.echo ?? z.object({ message: z.string() }) },
      async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
    );
    extraTools.forEach((tool, i) => {
      const inputSchema = hoisted?.extra[i] ?? toZod(tool, z);
      server.registerTool(tool.name, { description: tool.description, inputSchema }, async () => ({
        content: [{ type: 'text', text: 'ok' }],
      }));
    });
    return server;
  });
  const nodeHandler = toNodeHandler(handler);
  const validateHost = localhostHostValidation();
  const validateOrigin = localhostOriginValidation();
  const server = http.createServer((req, res) => {
    if (!validateHost(req, res) || !validateOrigin(req, res)) return;
    void nodeHandler(req, res);
  });
  return listenLoopback(server, () => handler.close());
}
