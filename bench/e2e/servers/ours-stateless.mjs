// erlmcp over Streamable HTTP with the echo tool: the same McpServer + listen() as ours.mjs.
// The stateless cases drive it with 2026-07-28 requests (a _meta envelope, no session); the
// ours-session case drives this same server through 2025-11-25 sessions.
import { loadErlmcp, serve } from './ours.mjs';

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  return serve(await loadErlmcp(), transport, {});
}
