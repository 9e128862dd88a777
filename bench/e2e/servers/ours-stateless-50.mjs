// erlmcp over Streamable HTTP with echo and the 49 tools of tools-50.mjs as JSON Schema: the
// same toolset as sdk2-50, registered once for the life of the server.
import { loadErlmcp, serve } from './ours.mjs';
import { UNBOUND_BUCKET } from './ours-stateless.mjs';
import { EXTRA_TOOLS, toJsonSchema } from './tools-50.mjs';

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  const tools = EXTRA_TOOLS.map((t) => ({ name: t.name, description: t.description, inputSchema: toJsonSchema(t) }));
  return serve(await loadErlmcp(), transport, UNBOUND_BUCKET, undefined, tools);
}
