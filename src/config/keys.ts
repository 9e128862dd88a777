import { SCHEMA, SECTIONS } from './schema.js';
import type { KeySpec } from './spec.js';
import type { SectionName } from './types.js';

/** One configuration key with its names. */
export interface KeyInfo {
  readonly section: SectionName;
  readonly key: string;
  /** "section.key", as messages and docs name it. */
  readonly dotted: string;
  /** ERLMCP_SECTION_KEY. */
  readonly env: string;
  readonly spec: KeySpec;
}

/** The environment variable prefix of every key. */
export const ENV_PREFIX = 'ERLMCP_';

/** camelCase -> UPPER_SNAKE ("refillPerSec" -> "REFILL_PER_SEC"). */
export function upperSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The environment variable of `section.key` (ERLMCP_BUCKET_REFILL_PER_SEC). */
export function envName(section: string, key: string): string {
  return `${ENV_PREFIX}${upperSnake(section)}_${upperSnake(key)}`;
}

/** Every key, in table order. */
export const KEYS: readonly KeyInfo[] = Object.freeze(
  SECTIONS.flatMap((section) =>
    Object.entries(SCHEMA[section] as Record<string, KeySpec>).map(([key, spec]) =>
      Object.freeze({ section, key, dotted: `${section}.${key}`, env: envName(section, key), spec }),
    ),
  ),
);

/** Keys by environment variable name. */
export const KEYS_BY_ENV: ReadonlyMap<string, KeyInfo> = new Map(KEYS.map((k) => [k.env, k]));

/**
 * Other names of a key's variable. ERLMCP_LOG_LEVEL predates the config file (createLogger
 * reads it), so it keeps working; the canonical name wins when both are set.
 */
export const ENV_ALIASES: ReadonlyMap<string, string> = new Map([['ERLMCP_LOG_LEVEL', 'ERLMCP_LOGGING_LEVEL']]);

/**
 * ERLMCP_* variables that are not configuration keys and must not be reported as unknown:
 * ERLMCP_BUILD_FROM_SOURCE steers the install script (scripts/install.cjs) and may well be
 * left in an operator's environment.
 */
export const ENV_NOT_CONFIG: ReadonlySet<string> = new Set(['ERLMCP_BUILD_FROM_SOURCE']);
