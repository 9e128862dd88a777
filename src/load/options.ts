/**
 * `erlmcp load` flags: parsing and validation. Every bad value fails with ERR_LOAD_OPTIONS and
 * a message naming the flag and the expected form; the CLI turns that into exit code 2.
 */
import { parseArgs } from 'node:util';
import { ErlmcpError } from '../core/errors.js';
import { LOAD_SCENARIOS } from './report.js';

/** A scenario name (`--scenario`). */
export type ScenarioName = (typeof LOAD_SCENARIOS)[number];

/** Transport of every session (`--transport`). */
export type LoadTransport = 'ws' | 'http';

/** The flags as given; a number is undefined when its flag was not given. */
export interface LoadFlags {
  /** `--scenario` (default 'custom': steady load from the flags alone). */
  scenario: ScenarioName;
  /** `--url`: the MCP endpoint; without it the harness starts `erlmcp serve` itself. */
  url?: URL;
  /** `--transport` (default 'ws'). */
  transport: LoadTransport;
  /** `--sessions` (default: the scenario's). */
  sessions?: number;
  /** `--rate`: total requests per second (default: the scenario's). */
  rate?: number;
  /** `--per-session-rate`: requests per second per session, the alternative to `rate`. */
  perSessionRate?: number;
  /** `--duration` in seconds. */
  duration?: number;
  /** `--ramp-rate`: sessions opened per second. */
  rampRate?: number;
  /** `--steps`: session counts, increasing. */
  steps?: number[];
  /** `--inflight`: unanswered requests per session (open loop: the cap; closed loop: the K kept in flight). */
  inflight?: number;
  /** `--nodes`: cluster: the `erlmcp serve --cluster` nodes the harness starts (default: the scenario's). */
  nodes?: number;
  /** `--sources`: loopback source addresses to spread sockets over (default: as many as needed). */
  sources?: number;
  /** `--timeout-ms`: handshake deadline and drain time (default 10000). */
  timeoutMs: number;
  /** `--json FILE`: where to write the JSON report (default: none). */
  json?: string;
  /** `--html FILE`: where to write the HTML report (default: none). */
  html?: string;
  /** `--quiet`: no progress line or notes (default false; warnings are still printed). */
  quiet: boolean;
  /** `--allow-remote`: allow a non-loopback `--url` (default false). */
  allowRemote: boolean;
  /** `-h`, `--help`. */
  help: boolean;
}

/** Names of the flags that carry a value, as typed on the command line. */
export type ValueFlag =
  | '--sessions'
  | '--rate'
  | '--per-session-rate'
  | '--duration'
  | '--ramp-rate'
  | '--steps'
  | '--inflight'
  | '--nodes';

/** Largest accepted `--nodes`. */
export const MAX_NODES = 32;
/** Largest accepted `--sessions` / step. */
export const MAX_SESSIONS = 1_000_000;
/** Default of `--timeout-ms`. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Fails with ERR_LOAD_OPTIONS. */
export function optionsError(message: string): ErlmcpError {
  return new ErlmcpError('ERR_LOAD_OPTIONS', message);
}

/** Parses `erlmcp load` arguments (everything after `load`). */
export function parseLoadArgs(args: readonly string[]): LoadFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        url: { type: 'string' },
        transport: { type: 'string' },
        sessions: { type: 'string' },
        rate: { type: 'string' },
        'per-session-rate': { type: 'string' },
        duration: { type: 'string' },
        'ramp-rate': { type: 'string' },
        steps: { type: 'string' },
        inflight: { type: 'string' },
        nodes: { type: 'string' },
        sources: { type: 'string' },
        'timeout-ms': { type: 'string' },
        json: { type: 'string' },
        html: { type: 'string' },
        quiet: { type: 'boolean' },
        'allow-remote': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw optionsError((err as Error).message);
  }
  const str = (k: string) => values[k] as string | undefined;
  const scenario = str('scenario') ?? 'custom';
  if (!(LOAD_SCENARIOS as readonly string[]).includes(scenario)) {
    throw optionsError(`--scenario must be one of ${LOAD_SCENARIOS.join(', ')}, got ${JSON.stringify(scenario)}`);
  }
  const transport = str('transport') ?? 'ws';
  if (transport !== 'ws' && transport !== 'http') {
    throw optionsError(`--transport must be ws or http, got ${JSON.stringify(transport)}`);
  }
  if (str('rate') !== undefined && str('per-session-rate') !== undefined) {
    throw optionsError('--rate (total) and --per-session-rate are alternatives: give one of them');
  }
  if (str('steps') !== undefined && str('sessions') !== undefined) {
    throw optionsError('--steps and --sessions are alternatives: --steps lists the session counts');
  }
  const timeoutMs = optInt('--timeout-ms', str('timeout-ms'), 100, 3_600_000);
  return {
    scenario: scenario as ScenarioName,
    url: optUrl(str('url')),
    transport,
    sessions: optInt('--sessions', str('sessions'), 1, MAX_SESSIONS),
    rate: optPositive('--rate', str('rate'), 'requests per second', 10_000_000),
    perSessionRate: optPositive('--per-session-rate', str('per-session-rate'), 'requests per second', 1_000_000),
    duration: optPositive('--duration', str('duration'), 'seconds', 86_400),
    rampRate: optPositive('--ramp-rate', str('ramp-rate'), 'sessions per second', 1_000_000),
    steps: optSteps(str('steps')),
    inflight: optInt('--inflight', str('inflight'), 1, 100_000),
    nodes: optInt('--nodes', str('nodes'), 1, MAX_NODES),
    sources: optInt('--sources', str('sources'), 1, 65_000),
    timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
    json: optPath('--json', str('json')),
    html: optPath('--html', str('html')),
    quiet: values.quiet === true,
    allowRemote: values['allow-remote'] === true,
    help: values.help === true,
  };
}

function optInt(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw optionsError(`${flag} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function optPositive(flag: string, raw: string | undefined, unit: string, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
    throw optionsError(`${flag} must be a number of ${unit} > 0 and <= ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function optSteps(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const form = `a comma-separated list of increasing session counts in 1..${MAX_SESSIONS} (e.g. 1000,5000,10000)`;
  const parts = raw.split(',').map((p) => p.trim());
  const steps = parts.map(Number);
  const ok =
    parts.length > 0 &&
    parts.every((p) => p !== '') &&
    steps.every(
      (n, i) => Number.isInteger(n) && n >= 1 && n <= MAX_SESSIONS && (i === 0 || n > (steps[i - 1] as number)),
    );
  if (!ok) throw optionsError(`--steps must be ${form}, got ${JSON.stringify(raw)}`);
  return steps;
}

function optUrl(raw: string | undefined): URL | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw optionsError(`--url must be an absolute URL like http://127.0.0.1:9999/mcp, got ${JSON.stringify(raw)}`);
  }
  // One URL for both transports: the WebSocket sessions swap the scheme back.
  const scheme = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' }[url.protocol];
  if (scheme === undefined) {
    throw optionsError(`--url must use http, https, ws or wss, got ${JSON.stringify(raw)}`);
  }
  return new URL(`${scheme}//${url.host}${url.pathname}${url.search}`);
}

function optPath(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw optionsError(`${flag} must be a file path, got ""`);
  return raw;
}
