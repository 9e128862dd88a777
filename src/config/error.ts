import { ErlmcpError } from '../core/errors.js';

/**
 * A configuration that cannot be used: ERR_CONFIG_FILE (the file is missing, unreadable or
 * not a JSON object) or ERR_CONFIG_INVALID (values out of range, unknown keys or variables,
 * inconsistent keys). `problems` lists every problem found, one sentence each; the message
 * is the problem itself when there is one, else all of them, one per line.
 */
export class ConfigError extends ErlmcpError {
  readonly problems: readonly string[];

  constructor(
    code: 'ERR_CONFIG_FILE' | 'ERR_CONFIG_INVALID',
    problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(code, ConfigError.#message(problems), options);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }

  static #message(problems: readonly string[]): string {
    if (problems.length === 1) return problems[0] as string;
    return `${problems.length} configuration problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
  }
}

const MAX_SHOWN = 80;

/** A value as error messages quote it: JSON, shortened when long. */
export function show(value: unknown): string {
  let text: string;
  // JSON would print NaN and Infinity as null, which is not what was given.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}
