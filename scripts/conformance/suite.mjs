// One invocation of the conformance CLI (server mode) on the suite's Node, and the checks.json
// files it leaves behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Runs `conformance server` and resolves with its exit code (null when killed at the deadline)
 * and its combined output.
 * @param {{ node: string, cli: string, url: string, outDir: string, baseline: string,
 *   revision?: string, scenario?: string, specVersion?: string, scenarioTimeoutMs?: number,
 *   verbose: boolean, deadline: number, onSpawn?: (child: import('node:child_process').ChildProcess) => void }} o
 *   Either `revision` (the whole requirement set, at that revision's wire) or `scenario` with
 *   `specVersion` (forced, as a requirement-set run forces every scenario it lists).
 */
export function runSuite(o) {
  const args = [o.cli, 'server', '--url', o.url, '-o', o.outDir, '--expected-failures', o.baseline];
  if (o.scenario) args.push('--scenario', o.scenario, '--spec-version', o.specVersion, '--force');
  else args.push('--requirements', o.revision);
  if (o.scenarioTimeoutMs) args.push('--timeout', String(o.scenarioTimeoutMs));
  const child = spawn(o.node, args, { cwd: o.outDir, stdio: ['ignore', 'pipe', 'pipe'] });
  o.onSpawn?.(child);
  let output = '';
  const collect = (d) => {
    output += d;
    if (o.verbose) process.stdout.write(d);
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        output += '\n[conformance] the suite did not finish in time; killed\n';
        child.kill('SIGKILL');
      },
      Math.max(0, o.deadline - Date.now()),
    );
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, timedOut, output: `${output}\n${err.message}\n` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, timedOut, output });
    });
  });
}

/** Scenario names in the order the CLI announced them (`=== Running scenario: X ===`). */
export function announcedScenarios(output) {
  return [...output.matchAll(/=== Running scenario: (\S+) ===/g)].map((m) => m[1]);
}

/**
 * checks.json files under `dir` by scenario (folders are server-<scenario>-<ISO time>). A
 * scenario that threw writes none; the CLI then counts one FAILURE for it (its log says
 * "Failed to run scenario X: ..."), and so does this.
 */
export function readResults(dir, output) {
  const byScenario = new Map();
  for (const entry of fs.readdirSync(dir, { recursive: true })) {
    const rel = String(entry);
    if (path.basename(rel) !== 'checks.json') continue;
    const folder = path.basename(path.dirname(rel));
    const scenario = folder.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    byScenario.set(scenario, JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8')));
  }
  for (const m of output.matchAll(/^Failed to run scenario (\S+): (.*)$/gm)) {
    if (byScenario.has(m[1])) continue;
    byScenario.set(m[1], [
      {
        id: m[1],
        status: 'FAILURE',
        description: 'Failed to run scenario',
        errorMessage: `the scenario threw: ${m[2]}`,
      },
    ]);
  }
  return byScenario;
}
