import { KEYS } from './keys.js';
import type { ErlmcpConfig } from './types.js';

/** Freezes `value` and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A fresh, unfrozen configuration with every key at its default. */
export function defaultValues(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const k of KEYS) {
    const section = out[k.section] ?? {};
    out[k.section] = section;
    section[k.key] = k.spec.default;
  }
  return out;
}

/**
 * Every key at its default: the library's own defaults (the seeds' figures), i.e. what the
 * constructors do without options. Deep-frozen.
 */
export const DEFAULT_CONFIG: ErlmcpConfig = deepFreeze(defaultValues() as unknown as ErlmcpConfig);
