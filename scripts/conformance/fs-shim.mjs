// Node 20 stand-in for the `fs` module as seen by @modelcontextprotocol/conformance.
// The suite is built for Node 22 and imports `globSync` from `fs`, which Node 20 lacks;
// the ESM link step then fails before any scenario runs. This module re-exports node:fs
// and adds a `globSync` good enough for the suite's one use (`**/checks.json` under a
// results directory, in `tier-check`).
import fs from 'node:fs';
import path from 'node:path';

export * from 'node:fs';
export default fs;

/** Translates a glob (`**`, `*`, `?`) into a RegExp over `/`-separated relative paths. */
function globToRegExp(pattern) {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` matches everything.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * Minimal `fs.globSync(pattern | patterns, { cwd })` for Node 20: walks `cwd` with
 * readdirSync({ recursive: true }) and returns the matching relative paths (files and
 * directories), as Node 22 does for string patterns without `withFileTypes`.
 */
export function globSync(pattern, options = {}) {
  const cwd = options.cwd ? String(options.cwd) : process.cwd();
  const patterns = (Array.isArray(pattern) ? pattern : [pattern]).map(globToRegExp);
  let entries;
  try {
    entries = fs.readdirSync(cwd, { recursive: true });
  } catch {
    return [];
  }
  return entries
    .map((entry) => String(entry))
    .filter((entry) => {
      const rel = entry.split(path.sep).join('/');
      return patterns.some((re) => re.test(rel));
    });
}
