import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './error.js';

/**
 * Reads a JSON config file. Every way it can fail is ERR_CONFIG_FILE naming the path: not
 * found, unreadable, not JSON (with line and column when the parser gives a position), or a
 * top level that is not an object.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  const quoted = JSON.stringify(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_FILE', [`config file ${quoted} ${readFailure(err, path)}`], { cause: err });
  }
  // Editors on Windows like to start UTF-8 files with a byte-order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = describeSyntaxError(err as Error, text);
    throw new ConfigError('ERR_CONFIG_FILE', [`config file ${quoted} is not valid JSON: ${reason}`], { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ConfigError('ERR_CONFIG_FILE', [
      `config file ${quoted} must hold a JSON object ({ "server": { ... }, ... }) at the top level, got ${got}`,
    ]);
  }
  return value as Record<string, unknown>;
}

function readFailure(err: unknown, path: string): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return `does not exist (looked for ${resolve(path)})`;
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    default:
      return `cannot be read: ${(err as Error).message}`;
  }
}

/**
 * V8's message with its "at position N" turned into a line and column. V8 gives a position
 * for most errors; where it does not ("Unexpected token"), the message quotes the text.
 */
export function describeSyntaxError(err: Error, text: string): string {
  const message = err.message;
  if (message === 'Unexpected end of JSON input') {
    const { line, column } = lineColumn(text, text.length);
    return `unexpected end of input at line ${line}, column ${column}`;
  }
  const m = /^(.*) in JSON at position (\d+)/.exec(message);
  if (m) {
    const { line, column } = lineColumn(text, Number(m[2]));
    return `${m[1]} at line ${line}, column ${column}`;
  }
  return message;
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
