import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../src/load/options.js';
import { SCENARIOS } from '../../src/load/scenarios/index.js';
import { resolveSettings } from '../../src/load/settings.js';
import { expectCode } from '../helpers.js';

function settings(args: string[]) {
  const flags = parseLoadArgs(args);
  const s = SCENARIOS[flags.scenario];
  return resolveSettings(flags, s.accepts, s.defaults);
}

function optionsMessage(args: string[]): string {
  return expectCode(() => settings(args), 'ERR_LOAD_OPTIONS').message;
}

describe('erlmcp load options', () => {
  it('defaults to the custom scenario over WebSocket against a self-started server', () => {
    const s = settings([]);
    expect(s).toMatchObject({
      scenario: 'custom',
      url: undefined,
      transport: 'ws',
      sessions: 25,
      rate: 2_500,
      perSessionRate: 100,
      durationSec: 10,
      inflight: 64,
      timeoutMs: 10_000,
      quiet: false,
      allowRemote: false,
    });
  });

  it("fills each scenario's defaults", () => {
    expect(settings(['--scenario', 'flood'])).toMatchObject({ sessions: 2_000, perSessionRate: 50, rate: 100_000 });
    expect(settings(['--scenario', 'bombing'])).toMatchObject({ sessions: 20, perSessionRate: 10_000, rate: 200_000 });
    expect(settings(['--scenario', 'steps'])).toMatchObject({
      steps: [1_000, 5_000, 10_000, 15_000],
      sessions: 15_000,
      perSessionRate: 33,
    });
    expect(settings(['--scenario', 'idle'])).toMatchObject({ sessions: 100_000, durationSec: 5 });
    expect(settings(['--scenario', 'chaos'])).toMatchObject({ sessions: 200, rate: 5_000, durationSec: 15 });
    expect(settings(['--scenario', 'recovery'])).toMatchObject({ sessions: 25, rate: 2_500, durationSec: 5 });
    expect(settings(['--scenario', 'cluster'])).toMatchObject({
      sessions: 300,
      rate: 1_500,
      durationSec: 10,
      nodes: 3,
    });
    expect(settings(['--scenario', 'cluster', '--nodes', '5'])).toMatchObject({ nodes: 5 });
    expect(settings([])).toMatchObject({ nodes: 1 });
  });

  it('derives the total rate from the per-session rate and the other way round', () => {
    expect(settings(['--sessions', '10', '--per-session-rate', '7'])).toMatchObject({ rate: 70, perSessionRate: 7 });
    expect(settings(['--sessions', '10', '--rate', '70'])).toMatchObject({ rate: 70, perSessionRate: 7 });
    expect(settings(['--scenario', 'steps', '--steps', '20,40'])).toMatchObject({ steps: [20, 40], sessions: 40 });
  });

  it('normalises ws:// URLs to their http:// endpoint', () => {
    expect(settings(['--url', 'ws://127.0.0.1:9999/mcp']).url?.href).toBe('http://127.0.0.1:9999/mcp');
    expect(settings(['--url', 'http://localhost:1/x?y=1']).url?.href).toBe('http://localhost:1/x?y=1');
  });

  it('names the flag and the expected form of a bad value', () => {
    expect(optionsMessage(['--sessions', 'abc'])).toBe('--sessions must be an integer in 1..1000000, got "abc"');
    expect(optionsMessage(['--sessions', '0'])).toBe('--sessions must be an integer in 1..1000000, got "0"');
    expect(optionsMessage(['--rate=-5'])).toBe(
      '--rate must be a number of requests per second > 0 and <= 10000000, got "-5"',
    );
    expect(optionsMessage(['--rate', '0'])).toBe(
      '--rate must be a number of requests per second > 0 and <= 10000000, got "0"',
    );
    expect(optionsMessage(['--duration', '1s'])).toBe(
      '--duration must be a number of seconds > 0 and <= 86400, got "1s"',
    );
    expect(optionsMessage(['--timeout-ms', '5'])).toBe('--timeout-ms must be an integer in 100..3600000, got "5"');
    expect(optionsMessage(['--scenario', 'steps', '--steps', '40,20'])).toBe(
      '--steps must be a comma-separated list of increasing session counts in 1..1000000 (e.g. 1000,5000,10000), got "40,20"',
    );
    expect(optionsMessage(['--scenario', 'nope'])).toBe(
      '--scenario must be one of baseline, flood, bombing, steps, idle, chaos, recovery, cluster, custom, got "nope"',
    );
    expect(optionsMessage(['--transport', 'udp'])).toBe('--transport must be ws or http, got "udp"');
    expect(optionsMessage(['--url', 'ftp://127.0.0.1/'])).toBe(
      '--url must use http, https, ws or wss, got "ftp://127.0.0.1/"',
    );
    expect(optionsMessage(['--url', 'nope'])).toBe(
      '--url must be an absolute URL like http://127.0.0.1:9999/mcp, got "nope"',
    );
    expect(optionsMessage(['--bogus'])).toMatch(/^Unknown option '--bogus'/);
    expect(optionsMessage(['--scenario', 'cluster', '--nodes', '0'])).toBe(
      '--nodes must be an integer in 1..32, got "0"',
    );
    expect(optionsMessage(['--scenario', 'cluster', '--nodes', '33'])).toBe(
      '--nodes must be an integer in 1..32, got "33"',
    );
  });

  it('refuses conflicting flags and flags the scenario does not read', () => {
    expect(optionsMessage(['--rate', '1', '--per-session-rate', '1'])).toBe(
      '--rate (total) and --per-session-rate are alternatives: give one of them',
    );
    expect(optionsMessage(['--scenario', 'idle', '--rate', '10'])).toBe(
      '--rate does not apply to --scenario idle (it reads --sessions, --duration, --ramp-rate)',
    );
    expect(optionsMessage(['--scenario', 'baseline', '--steps', '1,2'])).toMatch(
      /^--steps does not apply to --scenario baseline/,
    );
    expect(optionsMessage(['--scenario', 'steps', '--sessions', '5'])).toMatch(
      /^--sessions does not apply to --scenario steps/,
    );
    expect(optionsMessage(['--scenario', 'baseline', '--nodes', '3'])).toMatch(
      /^--nodes does not apply to --scenario baseline/,
    );
  });

  it('refuses a non-loopback --url unless --allow-remote', () => {
    expect(optionsMessage(['--url', 'http://10.1.2.3:9999/mcp'])).toBe(
      '--url http://10.1.2.3:9999/mcp is not a loopback address: load is only sent to another machine with --allow-remote',
    );
    expect(settings(['--url', 'http://10.1.2.3:9999/mcp', '--allow-remote']).url?.hostname).toBe('10.1.2.3');
  });
});
