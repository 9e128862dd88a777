import { crossCheck } from './cross.js';
import { DEFAULT_CONFIG, defaultValues } from './defaults.js';
import { ConfigError } from './error.js';
import { ENV_ALIASES, ENV_NOT_CONFIG, KEYS } from './keys.js';
import { SECTION_DOCS, SECTIONS } from './schema.js';
import { applyEnv, applyObject, type Resolution } from './sources.js';
import { typeLabel } from './spec.js';

/** How to rewrite docs/config.md and docs/erlmcp.example.json after changing the key table. */
export const REGENERATE_COMMAND = 'npm run build:ts && node dist/config/write-docs.js';

/** A table cell: pipes escaped, no line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The message a broken configuration really produces (file, then environment, then the
 * checks between keys, as loadConfig runs them), so the docs show the real thing.
 */
function sampleError(): string {
  const r: Resolution = { values: defaultValues(), sources: new Map(), problems: [] };
  applyObject(r, { bucket: { refillPerSec: 'fast' }, server: { prot: 8080 } }, './erlmcp.json');
  applyEnv(r, { ERLMCP_REGISTRY_SHARDS: '100', ERLMCP_QUEUE_REJECT_AT: '0.5' });
  crossCheck(r);
  return new ConfigError('ERR_CONFIG_INVALID', r.problems).message;
}

function intro(): string {
  const aliases = [...ENV_ALIASES].map(([alias, canonical]) => `\`${alias}\` (alias of \`${canonical}\`)`).join(', ');
  const ignored = [...ENV_NOT_CONFIG].map((n) => `\`${n}\``).join(', ');
  return `# Configuration

<!-- Generated from src/config/schema.ts by renderConfigDoc() (src/config/docs.ts): do not edit by hand.
     Regenerate with: ${REGENERATE_COMMAND} -->

\`erlmcp serve\` takes its settings from one JSON file (\`--config FILE\`), from \`ERLMCP_*\`
environment variables and from command-line flags. Every key is optional; a key nothing sets
has the default listed below, which is what the library's constructors use without options.
[erlmcp.example.json](erlmcp.example.json) holds every key at its default.

## Precedence

defaults < config file < environment variables < command-line flags, key by key: a variable
overrides only its own key, never a whole section.

## The file

A JSON object of sections, each an object of keys. Unknown sections and keys are errors (a
typo never goes unnoticed), with a suggestion when the name is close to a real one.

\`\`\`json
{
  "server": { "host": "0.0.0.0", "port": 8080, "maxConnections": 20000 },
  "auth": {
    "resource": "https://mcp.example.com/mcp",
    "authorizationServers": ["https://auth.example.com"],
    "jwksUri": "https://auth.example.com/jwks"
  },
  "bucket": { "capacity": 200, "refillPerSec": 1000 },
  "breaker": { "policy": "error_rate", "errorThresholdPct": 25 },
  "logging": { "level": "warn" }
}
\`\`\`

## Environment variables

Each key has one: \`ERLMCP_<SECTION>_<KEY>\`, camelCase written as UPPER_SNAKE
(\`server.port\` is \`ERLMCP_SERVER_PORT\`, \`bucket.refillPerSec\` is
\`ERLMCP_BUCKET_REFILL_PER_SEC\`). Values are parsed per the key's type: integers and numbers
in decimal, booleans as \`true\`/\`false\`/\`1\`/\`0\`, lists comma-separated (empty: null).
An \`ERLMCP_*\` variable that names no key is an error, except:

- ${aliases}: the canonical name wins when both are set;
- ${ignored}: read by the install script, not by the server.

\`\`\`sh
ERLMCP_SERVER_PORT=8080 ERLMCP_BUCKET_REFILL_PER_SEC=500 erlmcp serve --config erlmcp.json
\`\`\`

## Errors

An invalid configuration stops the server before it starts. Every problem of every source is
reported at once, each naming the key, where its value came from, the expected form and the
value given. A file that is missing, unreadable or not a JSON object fails with
\`ERR_CONFIG_FILE\` (with line and column for JSON syntax errors); everything else with
\`ERR_CONFIG_INVALID\`. From code, \`loadConfig()\` throws a \`ConfigError\` (an
\`ErlmcpError\` with that \`code\`) whose \`problems\` lists the problems one by one. For example:

\`\`\`text
${sampleError()}
\`\`\`
`;
}

function section(name: (typeof SECTIONS)[number]): string {
  const rows = KEYS.filter((k) => k.section === name).map(
    (k) =>
      `| \`${k.key}\` | ${cell(typeLabel(k.spec))} | \`${cell(JSON.stringify(k.spec.default))}\` | \`${k.env}\` | ${cell(k.spec.doc)} |`,
  );
  return [
    `## ${name}`,
    '',
    SECTION_DOCS[name],
    '',
    '| key | type | default | environment variable | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** docs/config.md: precedence, environment naming, an example, what errors look like, then one table per section. */
export function renderConfigDoc(): string {
  return [intro(), ...SECTIONS.map(section)].join('\n');
}

/** docs/erlmcp.example.json: every key at its default. */
export function renderExampleConfig(): string {
  return `${JSON.stringify(DEFAULT_CONFIG, null, 2)}\n`;
}
