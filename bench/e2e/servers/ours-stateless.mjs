// erlmcp over Streamable HTTP with the echo tool: the same McpServer + listen() as ours.mjs.
// The stateless cases drive it with 2026-07-28 requests (a _meta envelope, no session); the
// ours-session case drives this same server through 2025-11-25 sessions.
import { loadErlmcp, serve } from './ours.mjs';

/**
 * Stateless 2026 requests have no session: the token bucket is the client's (its address), and
 * wrk's 50 connections from 127.0.0.1 are one client. The seeds' per-client refill of 10,000/s
 * would cap the run at the limiter instead of measuring the request path, so it gets room here
 * (the SDK has no limiter at all). The 2025 session case has one bucket per session anyway.
 */
export const UNBOUND_BUCKET = { gate: { bucket: { capacity: 1_000_000, refillPerSec: 10_000_000 } } };

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  return serve(await loadErlmcp(), transport, UNBOUND_BUCKET);
}
