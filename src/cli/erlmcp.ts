#!/usr/bin/env node
import { hashApiKey } from '../auth/api-keys.js';
import { hasErrorCode } from '../core/errors.js';
import { LOAD_USAGE, runLoadCli } from './load.js';
import { runServe } from './serve.js';
import { parseServeArgs, SERVE_USAGE } from './serve-args.js';

const USAGE = `Usage: erlmcp <command> [options]

Commands:
  serve              Run an MCP server with the demo toolset (WebSocket + Streamable HTTP)
  load               Load, stress and chaos scenarios against an MCP server (docs/load.md)
  hash-key KEY       Print the hex SHA-256 of an API key, for auth.apiKeys ("id:HASH[:scopes]")

${SERVE_USAGE}  -h, --help           Show this help

${LOAD_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'serve') {
    const args = parseServeArgs(rest);
    if (args.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    return runServe({ configFile: args.configFile, overrides: args.overrides });
  }
  if (command === 'load') {
    const code = await runLoadCli(rest);
    // The run closed everything it opened; should a socket still linger, the process ends anyway.
    setTimeout(() => process.exit(code), 5_000).unref();
    return code;
  }
  if (command === 'hash-key') {
    if (rest.length !== 1 || rest[0] === '') {
      process.stderr.write('usage: erlmcp hash-key KEY\n');
      return 2;
    }
    process.stdout.write(`${hashApiKey(rest[0] as string)}\n`);
    return 0;
  }
  process.stderr.write(`erlmcp: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Usage and configuration mistakes exit 2 with the message alone; anything else is a failure.
    const usage =
      hasErrorCode(err, 'ERR_CONFIG_INVALID') ||
      hasErrorCode(err, 'ERR_CONFIG_FILE') ||
      hasErrorCode(err, 'ERR_AUTH_CONFIG') ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`erlmcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
