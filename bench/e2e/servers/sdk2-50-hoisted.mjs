// sdk2-50 with its zod schemas built once at module scope instead of in the factory: an opt-in
// case (--stateless-servers ...,sdk2-50-hoisted) showing what that departure from the SDK's
// documented pattern is worth; the default sdk2-50 follows the guides (see sdk2.mjs).
import { startSdk2 } from './sdk2.mjs';
import { EXTRA_TOOLS } from './tools-50.mjs';

/** @param {{ transport: string }} opts */
export function start({ transport }) {
  return startSdk2(transport, EXTRA_TOOLS, { hoistSchemas: true });
}
