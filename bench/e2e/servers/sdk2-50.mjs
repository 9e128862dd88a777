// SDK v2 createMcpHandler + toNodeHandler with echo and the 49 tools of tools-50.mjs (see sdk2.mjs).
import { startSdk2 } from './sdk2.mjs';
import { EXTRA_TOOLS } from './tools-50.mjs';

/** @param {{ transport: string }} opts */
export function start({ transport }) {
  return startSdk2(transport, EXTRA_TOOLS);
}
