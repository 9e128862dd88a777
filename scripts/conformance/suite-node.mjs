// The Node binary that runs the conformance suite. @modelcontextprotocol/conformance 0.2.x needs
// Node >= 22 (its bundle imports `globSync` from `fs` at load time), while erlmcp supports and is
// tested on Node >= 20.17. So the suite, and only the suite, runs on a pinned Node 22 taken from
// the npm registry (scripts/node-dist.mjs), installed on first use into a gitignored cache.
//
// Order: $ERLMCP_CONFORMANCE_NODE, then the current node if it is already >= 22, then the cache,
// then a download.
import { installNode, major, NodeDistError, probeVersion } from '../node-dist.mjs';

/** Node version the suite runs on. 22.23.3 is the newest 22.x published for linux-x64,
 * linux-arm64, darwin-x64 and win-x64 alike (22.23.5 exists for linux only). */
export const SUITE_NODE_VERSION = '22.23.3';
export const SUITE_NODE_MIN_MAJOR = 22;
export const SUITE_NODE_ENV = 'ERLMCP_CONFORMANCE_NODE';

export class SuiteNodeError extends Error {}

/**
 * Finds or installs the Node that runs the suite.
 * @param {{ cacheRoot: string, log?: (line: string) => void }} opts cacheRoot holds one
 *   directory per version (node_modules/.cache/erlmcp-node).
 * @returns {Promise<{ bin: string, version: string, source: 'env' | 'current' | 'cache' | 'download' }>}
 */
export async function resolveSuiteNode({ cacheRoot, log = () => {} }) {
  const override = process.env[SUITE_NODE_ENV];
  if (override) {
    const version = probeVersion(override);
    if (!version)
      throw new SuiteNodeError(`${SUITE_NODE_ENV}=${override} does not run (\`${override} --version\` failed)`);
    if (major(version) < SUITE_NODE_MIN_MAJOR) {
      throw new SuiteNodeError(
        `${SUITE_NODE_ENV}=${override} is Node ${version}; the suite needs >= ${SUITE_NODE_MIN_MAJOR}`,
      );
    }
    return { bin: override, version, source: 'env' };
  }
  if (major(process.version) >= SUITE_NODE_MIN_MAJOR) {
    return { bin: process.execPath, version: process.version, source: 'current' };
  }
  try {
    return await installNode({ version: SUITE_NODE_VERSION, cacheRoot, log });
  } catch (err) {
    if (!(err instanceof NodeDistError)) throw err;
    throw new SuiteNodeError(
      `${err.message}\nInstall Node >= ${SUITE_NODE_MIN_MAJOR} and set ${SUITE_NODE_ENV}=/path/to/node to skip the download.`,
    );
  }
}
