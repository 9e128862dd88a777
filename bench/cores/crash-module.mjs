// The server module of bench/cores/resets.mjs: the demo toolset plus `crash_worker`, which
// kills the worker thread that owns the calling session (an uncaught exception outside any
// request), as a bug in a tool would.
import { McpServer, registerDemoToolset } from '../../dist/index.js';

export default function build({ worker, serverOptions }) {
  const server = new McpServer({ name: 'resets-bench', version: '1' }, serverOptions);
  const demo = registerDemoToolset(server);
  server.registerTool('crash_worker', { inputSchema: { type: 'object' } }, () => {
    setTimeout(() => {
      throw new Error(`worker ${worker} crashed on purpose`);
    }, 10);
    return { content: [{ type: 'text', text: 'crashing' }] };
  });
  return { server, stop: () => demo.stop() };
}
