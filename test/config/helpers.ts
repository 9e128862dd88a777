import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

/** A temporary directory for config files; `cleanup()` removes it. */
export function tempDir(): { dir: string; file(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-config-'));
  return {
    dir,
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn`, asserts it throws a ConfigError with `code`, and returns the error. */
export function configError(fn: () => unknown, code: 'ERR_CONFIG_FILE' | 'ERR_CONFIG_INVALID'): ConfigError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(ConfigError);
  expect((thrown as ConfigError).code).toBe(code);
  return thrown as ConfigError;
}
