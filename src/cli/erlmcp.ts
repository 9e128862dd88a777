#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runServe } from './serve.js';

const USAGE = `Usage: erlmcp <command> [options]

Commands:
  serve              Run an MCP server with the demo toolset (WebSocket + Streamable HTTP)

serve options:
  --stdio            Serve one client over stdin/stdout instead of the network
  --host HOST        Address to bind (default 127.0.0.1)
  --port PORT        Port to bind (default 9999; 0 picks a free one)
  --path PATH        URL path of the MCP endpoint (default /mcp)
  --max-connections N  WebSocket connections + HTTP sessions held at once (default 15000)
  --log-level LEVEL  trace, debug, info, warn, error, fatal or silent (default info; env ERLMCP_LOG_LEVEL)
  --shutdown-ms MS   How long in-flight requests may finish on SIGINT/SIGTERM (default 5000)
  -h, --help         Show this help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`erlmcp: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      stdio: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '9999' },
      path: { type: 'string', default: '/mcp' },
      'max-connections': { type: 'string', default: '15000' },
      'log-level': { type: 'string' },
      'shutdown-ms': { type: 'string', default: '5000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  return runServe({
    stdio: values.stdio,
    host: values.host,
    port: intOption('--port', values.port, 0, 65_535),
    path: values.path,
    maxConnections: intOption('--max-connections', values['max-connections'], 1, 10_000_000),
    logLevel: values['log-level'],
    shutdownMs: intOption('--shutdown-ms', values['shutdown-ms'], 0, 3_600_000),
  });
}

function intOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`erlmcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
