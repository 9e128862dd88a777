import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDoc, renderExampleConfig } from './docs.js';

/** Writes docs/config.md and docs/erlmcp.example.json under `root` from the key table. */
export function writeConfigDocs(root: string): string[] {
  const written = [join(root, 'docs', 'config.md'), join(root, 'docs', 'erlmcp.example.json')];
  writeFileSync(written[0] as string, renderConfigDoc());
  writeFileSync(written[1] as string, renderExampleConfig());
  return written;
}

// `node dist/config/write-docs.js` (REGENERATE_COMMAND): dist/config -> the repository root.
if (require.main === module) {
  for (const file of writeConfigDocs(join(__dirname, '..', '..'))) process.stdout.write(`wrote ${file}\n`);
}
