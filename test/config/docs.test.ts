import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  loadConfig,
  REGENERATE_COMMAND,
  renderConfigDoc,
  renderExampleConfig,
} from '../../src/config/index.js';
import { KEYS } from '../../src/config/keys.js';

const CONFIG_MD = fileURLToPath(new URL('../../docs/config.md', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../docs/erlmcp.example.json', import.meta.url));

describe('docs/config.md', () => {
  it('is exactly what renderConfigDoc() produces from the key table', () => {
    const onDisk = readFileSync(CONFIG_MD, 'utf8');
    expect(
      onDisk === renderConfigDoc(),
      `docs/config.md is out of date; regenerate it with: ${REGENERATE_COMMAND}`,
    ).toBe(true);
  });

  it('has one row per key with its default and environment variable', () => {
    const doc = renderConfigDoc();
    for (const k of KEYS) {
      expect(doc).toContain(`| \`${k.key}\` |`);
      expect(doc).toContain(`| \`${JSON.stringify(k.spec.default)}\` | \`${k.env}\` |`);
    }
    expect(doc).toContain(
      'config key "bucket.refillPerSec" (from ./erlmcp.json) must be an integer in 1..4294967295, got "fast"',
    );
  });

  it('gives every key its own environment variable', () => {
    const names = KEYS.map((k) => k.env);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^ERLMCP_[A-Z0-9_]+$/.test(n))).toBe(true);
  });
});

describe('docs/erlmcp.example.json', () => {
  it('lists every key at its default', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    expect(JSON.parse(text)).toEqual(DEFAULT_CONFIG);
    expect(text === renderExampleConfig(), `regenerate it with: ${REGENERATE_COMMAND}`).toBe(true);
  });

  it('loads to DEFAULT_CONFIG', () => {
    expect(loadConfig({ file: EXAMPLE })).toEqual(DEFAULT_CONFIG);
  });
});
