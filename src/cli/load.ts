/**
 * `erlmcp load`: runs a load scenario against --url or a server it starts itself, prints the
 * result table and writes the JSON / HTML reports. Exit codes: 0 the run completed (even when
 * targets were missed: the findings say so), 1 the harness failed, 2 bad options, 130
 * interrupted (Ctrl-C; the partial report is still printed and written).
 */
import fs from 'node:fs';
import path from 'node:path';
import { hasErrorCode } from '../core/errors.js';
import { runLoad } from '../load/engine.js';
import { renderHtmlReport } from '../load/html.js';
import { DEFAULT_TIMEOUT_MS, parseLoadArgs } from '../load/options.js';
import { validateReport } from '../load/report.js';
import { SCENARIOS } from '../load/scenarios/index.js';
import { renderTable } from '../load/table.js';

/** The `load` section of `erlmcp --help`. */
export const LOAD_USAGE = `load options (erlmcp load [--scenario NAME] [options]; docs/load.md):
  --scenario NAME      ${Object.values(SCENARIOS)
    .map((s) => s.name)
    .join(', ')} (default custom)
  --url URL            MCP endpoint (http:// or ws://); without it the harness starts erlmcp serve
  --transport ws|http  Session transport (default ws)
  --sessions N         Sessions to open (each scenario has its own default)
  --rate R             Total requests per second, spread round-robin over the sessions
  --per-session-rate R Requests per second per session (alternative to --rate)
  --duration S         Seconds of load (steps: per sub-run; idle, flood: hold time)
  --ramp-rate R        Sessions opened per second
  --steps LIST         steps: comma-separated session counts (default 1000,5000,10000,15000)
  --nodes N            cluster: erlmcp serve --cluster nodes the harness starts (default 3)
  --inflight N         Unanswered requests per session: open loop cap / closed loop depth (default 64)
  --sources N          Loopback source addresses to spread sockets over (default: as many as needed)
  --timeout-ms MS      Handshake deadline and final drain time (default ${DEFAULT_TIMEOUT_MS})
  --json FILE          Write the JSON report
  --html FILE          Write the HTML report
  --quiet              No progress line
  --allow-remote       Allow a --url that is not a loopback address
  -h, --help           Show this help

scenarios:
${Object.values(SCENARIOS)
  .map((s) => `  ${s.name.padEnd(10)} ${s.describe}`)
  .join('\n')}
`;

/** Signals that end a run early but cleanly (a closed terminal sends SIGHUP). */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs `erlmcp load` with `args` (everything after `load`); resolves with the exit code. */
export async function runLoadCli(args: string[]): Promise<number> {
  let flags: ReturnType<typeof parseLoadArgs>;
  try {
    flags = parseLoadArgs(args);
  } catch (err) {
    return failed(err);
  }
  if (flags.help) {
    process.stdout.write(LOAD_USAGE);
    return 0;
  }
  // Ctrl-C ends the run early but cleanly (sessions closed, self-started server stopped); a
  // second one exits at once (the server is still killed by the harness's exit handler).
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write('\nerlmcp load: interrupted, stopping (again to exit at once)\n');
    interrupt.abort();
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    const report = await runLoad(flags, {
      stderr: process.stderr,
      command: commandLine(args),
      signal: interrupt.signal,
    });
    const problems = validateReport(report);
    process.stdout.write(renderTable(report, { color: process.stdout.isTTY === true }));
    if (flags.json !== undefined) writeFile(flags.json, `${JSON.stringify(report, null, 2)}\n`);
    if (flags.html !== undefined) writeFile(flags.html, renderHtmlReport(report));
    if (problems.length > 0) {
      process.stderr.write(`erlmcp load: the report is inconsistent (a harness bug):\n  ${problems.join('\n  ')}\n`);
      return 1;
    }
    return interrupt.signal.aborted ? 130 : 0;
  } catch (err) {
    return failed(err);
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}

function failed(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  if (hasErrorCode(err, 'ERR_LOAD_OPTIONS')) {
    process.stderr.write(`erlmcp load: ${message}\n\n${LOAD_USAGE}`);
    return 2;
  }
  process.stderr.write(`erlmcp load: ${message}\n`);
  return 1;
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

/** `erlmcp load ARGS` with arguments quoted where a shell would need it. */
function commandLine(args: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['erlmcp', 'load', ...args.map(quote)].join(' ');
}
