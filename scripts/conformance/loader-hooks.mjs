// ESM resolve hook (registered by node20-preload.mjs): when a module inside
// @modelcontextprotocol/conformance imports the bare specifier `fs` (or `node:fs`), hand it
// our shim instead, which adds the Node 22-only `globSync`. Every other import, and every
// other package, resolves as usual.
const SHIM_URL = new URL('./fs-shim.mjs', import.meta.url).href;
const PACKAGE_MARKER = '/node_modules/@modelcontextprotocol/conformance/';

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes(PACKAGE_MARKER)) {
    return { url: SHIM_URL, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
