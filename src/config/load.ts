import { crossCheck } from './cross.js';
import { deepFreeze, defaultValues } from './defaults.js';
import { ConfigError } from './error.js';
import { readConfigFile } from './file.js';
import { applyEnv, applyObject, type Resolution } from './sources.js';
import type { ConfigInput, ErlmcpConfig } from './types.js';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** A JSON config file (`--config FILE`). Default: none. */
  file?: string;
  /** Environment to read ERLMCP_* variables from, usually `process.env`. Default: none. */
  env?: NodeJS.ProcessEnv;
  /** Values that win over everything else, usually command-line flags; `undefined` values are ignored. */
  overrides?: ConfigInput;
  /** How messages name the overrides' source. Default "overrides". */
  overridesSource?: string;
}

/**
 * Resolves the configuration: defaults < file < environment < overrides, key by key.
 *
 * Throws a {@link ConfigError} with code ERR_CONFIG_FILE when the file is missing, unreadable,
 * not JSON or not an object; with ERR_CONFIG_INVALID when anything is wrong with the values:
 * every problem of every source is collected first and reported together, each naming the
 * dotted key, its source, the expected form and the value given, e.g.
 * `config key "bucket.refillPerSec" (from ./erlmcp.json) must be an integer in 1..4294967295, got "fast"`.
 * Returns a deep-frozen {@link ErlmcpConfig} with every key present.
 */
export function loadConfig(options: LoadConfigOptions = {}): ErlmcpConfig {
  const r: Resolution = { values: defaultValues(), sources: new Map(), problems: [] };
  if (options.file !== undefined) applyObject(r, readConfigFile(options.file), options.file);
  if (options.env !== undefined) applyEnv(r, options.env);
  if (options.overrides !== undefined) applyObject(r, options.overrides, options.overridesSource ?? 'overrides');
  crossCheck(r);
  if (r.problems.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', r.problems);
  return deepFreeze(r.values as unknown as ErlmcpConfig);
}
