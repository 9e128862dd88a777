/** Checks of McpClient's options and arguments: ERR_INVALID_ARG naming what is wrong. */
import { assertInt, invalidArg } from '../../core/errors.js';
import { LOGGING_LEVELS, type LoggingLevel } from '../types.js';
import { ResponseCache } from './cache.js';
import { DEFAULT_POLL, type PollBounds, type TasksOptions } from './tasks.js';

export function checkLevel(level: unknown): LoggingLevel {
  if (!LOGGING_LEVELS.includes(level as LoggingLevel)) {
    throw invalidArg(`log level must be one of ${LOGGING_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  return level as LoggingLevel;
}

export function checkFilter(filter: unknown): void {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw invalidArg('listen() needs a filter object, e.g. { toolsListChanged: true }');
  }
  const f = filter as Record<string, unknown>;
  for (const k of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged']) {
    if (f[k] !== undefined && typeof f[k] !== 'boolean') throw invalidArg(`listen filter ${k} must be a boolean`);
  }
  for (const k of ['resourceSubscriptions', 'taskIds']) {
    if (f[k] !== undefined && !(Array.isArray(f[k]) && (f[k] as unknown[]).every((v) => typeof v === 'string'))) {
      throw invalidArg(`listen filter ${k} must be an array of strings`);
    }
  }
}

export function cacheOf(option: boolean | { maxEntries?: number } | undefined): ResponseCache | undefined {
  if (option === false) return undefined;
  const max = option === true || option === undefined ? 1_000 : (option.maxEntries ?? 1_000);
  assertInt('cache.maxEntries', max, 0, 1_000_000);
  return new ResponseCache(max);
}

export function pollBoundsOf(option: boolean | TasksOptions | undefined): PollBounds | undefined {
  if (option === undefined || option === false) return undefined;
  const b: PollBounds = { ...DEFAULT_POLL, ...(option === true ? {} : option) };
  assertInt('tasks.minPollIntervalMs', b.minPollIntervalMs, 0, 3_600_000);
  assertInt('tasks.maxPollIntervalMs', b.maxPollIntervalMs, b.minPollIntervalMs, 3_600_000);
  assertInt('tasks.defaultPollIntervalMs', b.defaultPollIntervalMs, 0, 3_600_000);
  return b;
}
