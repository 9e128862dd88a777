import { show } from './error.js';
import { ENV_ALIASES, ENV_NOT_CONFIG, ENV_PREFIX, KEYS, KEYS_BY_ENV } from './keys.js';
import { SCHEMA, SECTIONS, specOf } from './schema.js';
import { checkValue, expectedForm, parseEnvValue } from './spec.js';
import { closest } from './suggest.js';

/** Values being resolved, where each came from, and every problem met so far. */
export interface Resolution {
  readonly values: Record<string, Record<string, unknown>>;
  /** Source of each dotted key that is not at its default. */
  readonly sources: Map<string, string>;
  readonly problems: string[];
}

/** "(from ./erlmcp.json)", or "(default)" for a key nothing set. */
export function origin(source: string | undefined): string {
  return source === undefined ? '(default)' : `(from ${source})`;
}

function set(r: Resolution, section: string, key: string, value: unknown, source: string): void {
  (r.values[section] as Record<string, unknown>)[key] = value;
  r.sources.set(`${section}.${key}`, source);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies a nested `{ section: { key: value } }` object (a config file or code overrides):
 * each valid value replaces the one before; every unknown name and invalid value becomes a
 * problem. `undefined` values are skipped (a command-line flag that was not given).
 */
export function applyObject(r: Resolution, input: unknown, source: string): void {
  if (!isPlainObject(input)) {
    r.problems.push(`config ${origin(source)} must be an object of sections, got ${show(input)}`);
    return;
  }
  for (const [section, block] of Object.entries(input)) {
    if (block === undefined) continue;
    if (!Object.hasOwn(SCHEMA, section)) {
      r.problems.push(unknownSection(section, source));
      continue;
    }
    if (!isPlainObject(block)) {
      r.problems.push(
        `config key "${section}" ${origin(source)} must be an object of ${section} keys, got ${show(block)}`,
      );
      continue;
    }
    for (const [key, value] of Object.entries(block)) {
      if (value === undefined) continue;
      const spec = specOf(section, key);
      if (spec === undefined) {
        r.problems.push(unknownKey(section, key, source));
        continue;
      }
      const checked = checkValue(spec, value);
      if (checked.ok) set(r, section, key, checked.value, source);
      else
        r.problems.push(
          `config key "${section}.${key}" ${origin(source)} must be ${expectedForm(spec)}, got ${show(value)}`,
        );
    }
  }
}

/**
 * Applies ERLMCP_* variables: each parsed per its key's kind. Variables that name no key are
 * problems (typo protection), except the alias ERLMCP_LOG_LEVEL (the canonical name wins
 * when both are set) and variables that are not configuration (ENV_NOT_CONFIG).
 */
export function applyEnv(r: Resolution, env: NodeJS.ProcessEnv): void {
  const names = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && env[n] !== undefined)
    .sort();
  for (const name of names) {
    if (KEYS_BY_ENV.has(name) || ENV_ALIASES.has(name) || ENV_NOT_CONFIG.has(name)) continue;
    const guess = closest(name, [...KEYS_BY_ENV.keys(), ...ENV_ALIASES.keys()]);
    r.problems.push(
      `environment variable ${name} is not a known setting${guess ? `; did you mean ${guess}?` : ' (docs/config.md lists them)'}`,
    );
  }
  const aliasOf = new Map([...ENV_ALIASES].map(([alias, canonical]) => [canonical, alias]));
  for (const k of KEYS) {
    let name = k.env;
    let raw = env[name];
    const alias = aliasOf.get(name);
    if (raw === undefined && alias !== undefined && env[alias] !== undefined) {
      name = alias;
      raw = env[alias];
    }
    if (raw === undefined) continue;
    const parsed = parseEnvValue(k.spec, raw);
    const source = `env ${name}`;
    if (parsed.ok) set(r, k.section, k.key, parsed.value, source);
    else
      r.problems.push(
        `config key "${k.dotted}" (from ${source}) must be ${expectedForm(k.spec, true)}, got ${show(raw)}`,
      );
  }
}

function unknownSection(section: string, source: string): string {
  // A key written at the top level ("port") most likely belongs in its section.
  const home = KEYS.find((k) => k.key.toLowerCase() === section.toLowerCase());
  const guess = home ? home.dotted : closest(section, SECTIONS);
  const hint = guess ? `did you mean "${guess}"?` : `the sections are ${SECTIONS.join(', ')}`;
  return `config section "${section}" ${origin(source)} is unknown; ${hint}`;
}

function unknownKey(section: string, key: string, source: string): string {
  const own = Object.keys(SCHEMA[section as keyof typeof SCHEMA]);
  const near = closest(key, own);
  // Else perhaps the right key in the wrong section ("bucket.maxGlobal").
  const elsewhere = KEYS.filter((k) => k.section !== section);
  const far = near === undefined ? closest(key, new Set(elsewhere.map((k) => k.key))) : undefined;
  const dotted = near !== undefined ? `${section}.${near}` : elsewhere.find((k) => k.key === far)?.dotted;
  const hint = dotted ? `did you mean "${dotted}"?` : `${section} has ${own.join(', ')}`;
  return `config key "${section}.${key}" ${origin(source)} is unknown; ${hint}`;
}
