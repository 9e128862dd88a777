// Preload for running @modelcontextprotocol/conformance (built for Node 22) on Node 20:
//   node --import ./scripts/conformance/node20-preload.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js ...
// On Node >= 22 it does nothing.
import { register } from 'node:module';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  register('./loader-hooks.mjs', import.meta.url);
}
