// SDK v2 createMcpHandler + toNodeHandler with the echo tool alone (see sdk2.mjs).
import { startSdk2 } from './sdk2.mjs';

/** @param {{ transport: string }} opts */
export function start({ transport }) {
  return startSdk2(transport, []);
}
