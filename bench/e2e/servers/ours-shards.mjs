// erlmcp as `erlmcp serve` runs it: requests go through the shard managers (each admitted
// request waits in its shard's native queue and that shard's manager runs it). Compared with
// `ours` (requests run as they arrive) it shows what the crash-isolated data path costs.
import { loadErlmcp, serve } from './ours.mjs';

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  const erlmcp = await loadErlmcp();
  const gate = new erlmcp.Gate();
  const shards = new erlmcp.ShardSet({ registry: gate.registry, router: gate.router, releaseOnDelivery: false });
  await shards.start();
  return serve(erlmcp, transport, { gate, shards }, () => shards.stop());
}
