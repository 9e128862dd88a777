// The process's file-descriptor limit, shared by run.mjs (warning up front) and loadgen.mjs
// (a clear EMFILE message). No side effects: safe to import from any process.
import fs from 'node:fs';

/** Max open files of this process (Linux /proc/self/limits); undefined elsewhere. */
export function fdLimit() {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line ? Number(line.split(/\s+/)[3]) : undefined;
  } catch {
    return undefined;
  }
}
