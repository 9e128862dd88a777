// The conformance runner's verdict (scripts/conformance/baseline.mjs): the suite's baseline
// grammar and rules, applied to every scenario, scored or not.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs script without types
import { judgeScenario, readBaseline, unrunEntries } from '../../scripts/conformance/baseline.mjs';
// @ts-expect-error plain .mjs script without types
import { yamlParser } from '../../scripts/conformance/requirements.mjs';

// The YAML parser the suite itself uses, as the runner does.
const yaml = yamlParser(path.join(__dirname, '../../node_modules/@modelcontextprotocol/conformance'));
const check = (id: string, status: string) => ({ id, status, description: id });

describe('readBaseline', () => {
  it('reads whole-scenario and per-check entries with their reasons', () => {
    const entries = readBaseline('b.yml', 'server:\n  - a  # no 2026 yet\n  - b:x-check  # one check\n', yaml);
    expect(entries).toEqual([
      { scenario: 'a', checkId: undefined, text: 'a', reason: 'no 2026 yet' },
      { scenario: 'b', checkId: 'x-check', text: 'b:x-check', reason: 'one check' },
    ]);
    expect(readBaseline('b.yml', 'server: []\n', yaml)).toEqual([]);
  });

  it('rejects an entry without a reason, a duplicate, a redundant check entry and a mapping', () => {
    expect(() => readBaseline('b.yml', 'server:\n  - a\n', yaml)).toThrow(/needs its reason/);
    expect(() => readBaseline('b.yml', 'server:\n  - a  # r\n  - a  # r\n', yaml)).toThrow(/twice/);
    expect(() => readBaseline('b.yml', 'server:\n  - a  # r\n  - a:c  # r\n', yaml)).toThrow(/redundant/);
    expect(() => readBaseline('b.yml', 'server:\n  - a: c  # r\n', yaml)).toThrow(/is not/);
  });
});

describe('judgeScenario', () => {
  const whole = [{ scenario: 's', text: 's', reason: 'r' }];
  const perCheck = [{ scenario: 's', checkId: 'c1', text: 's:c1', reason: 'r' }];

  it('fails on a FAILURE or a WARNING not in the baseline', () => {
    expect(judgeScenario('s', [check('c1', 'SUCCESS')], []).verdict).toBe('pass');
    expect(judgeScenario('s', [check('c1', 'WARNING')], []).verdict).toBe('FAIL');
    expect(judgeScenario('s', [check('c1', 'INFO')], []).verdict).toBe('pass (info)');
    expect(judgeScenario('s', [check('c1', 'SKIPPED')], []).verdict).toBe('pass (skipped)');
  });

  it('treats a listed scenario that passes as stale', () => {
    expect(judgeScenario('s', [check('c1', 'FAILURE')], whole).verdict).toBe('expected-fail');
    const stale = judgeScenario('s', [check('c1', 'SUCCESS')], whole);
    expect(stale.verdict).toBe('STALE');
    expect(stale.stale).toEqual(['s']);
  });

  it('judges per-check entries check by check, the most severe occurrence of an id winning', () => {
    expect(judgeScenario('s', [check('c1', 'FAILURE'), check('c2', 'SUCCESS')], perCheck).verdict).toBe(
      'expected-fail',
    );
    expect(judgeScenario('s', [check('c1', 'FAILURE'), check('c2', 'FAILURE')], perCheck).verdict).toBe('FAIL');
    expect(judgeScenario('s', [check('c1', 'SUCCESS'), check('c1', 'FAILURE')], perCheck).verdict).toBe(
      'expected-fail',
    );
    expect(judgeScenario('s', [check('c1', 'SUCCESS')], perCheck).stale).toEqual(['s:c1']);
    // absent or skipped proves nothing
    expect(judgeScenario('s', [check('c1', 'SKIPPED')], perCheck).verdict).toBe('pass (skipped)');
  });

  it('reports entries for scenarios that did not run', () => {
    expect(unrunEntries([...whole, { scenario: 't', text: 't', reason: 'r' }], new Set(['s']))).toEqual(['t']);
  });
});
